namespace KpiPipeline.SparkJob.Tests.SparkConnect.Wire;

/// <summary>
/// The Spark Connect messages this test suite decodes and encodes, as its own table transcribed by hand from
/// Spark 4.x (apache/spark, sql/connect/common/src/main/protobuf/spark/connect/base.proto, commands.proto,
/// relations.proto; package spark.connect). It deliberately shares nothing with the client's .proto or its
/// generated code: the fake server reads requests and writes responses with this table only, so a wrong field
/// number or type in the client fails against it. Messages list every field Spark declares, except the members of
/// the big oneofs (Relation, Command, ExecutePlanResponse) that this client can never meet; a field missing here
/// fails the decoding loudly instead of passing silently.
/// </summary>
internal static class SparkProto
{
    public const string Package = "spark.connect";

    private const string Any = "google.protobuf.Any";

    /// <summary>Messages by name relative to the package (nested ones as <c>Outer.Inner</c>).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<ProtoField>> Messages = new Dictionary<string, IReadOnlyList<ProtoField>>(StringComparer.Ordinal)
    {
        // base.proto
        ["Plan"] = [new("root", 1, "Relation"), new("command", 2, "Command")],
        ["UserContext"] = [new("user_id", 1, "string"), new("user_name", 2, "string"), new("extensions", 999, Any, Repeated: true)],
        ["ClientEnv"] = [new("spark_version", 1, "string"), new("scala_env", 2, "ClientEnv.ScalaEnv"), new("python_env", 3, "ClientEnv.PythonEnv")],
        ["ClientEnv.ScalaEnv"] = [new("scala_version", 1, "string"), new("java_version", 2, "string")],
        ["ClientEnv.PythonEnv"] = [new("python_version", 1, "string")],
        ["ExecutePlanRequest"] =
        [
            new("session_id", 1, "string"), new("client_observed_server_side_session_id", 8, "string"), new("user_context", 2, "UserContext"),
            new("operation_id", 6, "string"), new("plan", 3, "Plan"), new("client_type", 4, "string"),
            new("request_options", 5, "ExecutePlanRequest.RequestOption", Repeated: true), new("tags", 7, "string", Repeated: true),
            new("client_env", 9, "ClientEnv"),
        ],
        ["ExecutePlanRequest.RequestOption"] = [new("reattach_options", 1, "ReattachOptions"), new("extension", 999, Any)],
        ["ReattachOptions"] = [new("reattachable", 1, "bool")],
        ["ExecutePlanResponse"] =
        [
            new("session_id", 1, "string"), new("server_side_session_id", 15, "string"), new("operation_id", 12, "string"),
            new("response_id", 13, "string"), new("arrow_batch", 2, "ExecutePlanResponse.ArrowBatch"),
            new("sql_command_result", 5, "ExecutePlanResponse.SqlCommandResult"), new("result_complete", 14, "ExecutePlanResponse.ResultComplete"),
            new("execution_progress", 18, "ExecutePlanResponse.ExecutionProgress"), new("metrics", 4, "ExecutePlanResponse.Metrics"),
            new("schema", 7, "DataType"), new("extension", 999, Any),
        ],
        ["ExecutePlanResponse.SqlCommandResult"] = [new("relation", 1, "Relation")],
        ["ExecutePlanResponse.ArrowBatch"] = [new("row_count", 1, "int64"), new("data", 2, "bytes"), new("start_offset", 3, "int64")],
        ["ExecutePlanResponse.Metrics"] = [new("metrics", 1, "ExecutePlanResponse.Metrics.MetricObject", Repeated: true)],
        ["ExecutePlanResponse.Metrics.MetricObject"] = [new("name", 1, "string"), new("plan_id", 2, "int64"), new("parent", 3, "int64")],
        ["ExecutePlanResponse.ResultComplete"] = [],
        ["ExecutePlanResponse.ExecutionProgress"] = [new("num_inflight_tasks", 2, "int64")],
        ["AnalyzePlanRequest"] =
        [
            new("session_id", 1, "string"), new("client_observed_server_side_session_id", 17, "string"), new("user_context", 2, "UserContext"),
            new("client_type", 3, "string"), new("spark_version", 10, "AnalyzePlanRequest.SparkVersion"), new("client_env", 19, "ClientEnv"),
        ],
        ["AnalyzePlanRequest.SparkVersion"] = [],
        ["AnalyzePlanResponse"] =
        [
            new("session_id", 1, "string"), new("server_side_session_id", 15, "string"), new("spark_version", 8, "AnalyzePlanResponse.SparkVersion"),
        ],
        ["AnalyzePlanResponse.SparkVersion"] = [new("version", 1, "string")],
        ["ReattachExecuteRequest"] =
        [
            new("session_id", 1, "string"), new("client_observed_server_side_session_id", 6, "string"), new("user_context", 2, "UserContext"),
            new("operation_id", 3, "string"), new("client_type", 4, "string"), new("last_response_id", 5, "string"), new("client_env", 7, "ClientEnv"),
        ],
        ["ReleaseExecuteRequest"] =
        [
            new("session_id", 1, "string"), new("client_observed_server_side_session_id", 7, "string"), new("user_context", 2, "UserContext"),
            new("operation_id", 3, "string"), new("client_type", 4, "string"),
            new("release_all", 5, "ReleaseExecuteRequest.ReleaseAll"), new("release_until", 6, "ReleaseExecuteRequest.ReleaseUntil"),
        ],
        ["ReleaseExecuteRequest.ReleaseAll"] = [],
        ["ReleaseExecuteRequest.ReleaseUntil"] = [new("response_id", 1, "string")],
        ["ReleaseExecuteResponse"] = [new("session_id", 1, "string"), new("server_side_session_id", 3, "string"), new("operation_id", 2, "string")],
        ["ReleaseSessionRequest"] =
        [
            new("session_id", 1, "string"), new("user_context", 2, "UserContext"), new("client_type", 3, "string"),
            new("allow_reconnect", 4, "bool"), new("client_env", 5, "ClientEnv"),
        ],
        ["ReleaseSessionResponse"] = [new("session_id", 1, "string"), new("server_side_session_id", 2, "string")],

        // relations.proto
        ["Relation"] = [new("common", 1, "RelationCommon"), new("sql", 10, "SQL"), new("local_relation", 11, "LocalRelation")],
        ["RelationCommon"] = [new("source_info", 1, "string"), new("plan_id", 2, "int64")],
        ["SQL"] = [new("query", 1, "string")],
        ["LocalRelation"] = [new("data", 1, "bytes"), new("schema", 2, "string")],

        // commands.proto
        ["Command"] = [new("sql_command", 5, "SqlCommand"), new("extension", 999, Any)],
        ["SqlCommand"] = [new("sql", 1, "string"), new("input", 6, "Relation")],

        // Opaque here: only ever carried, never looked into.
        ["DataType"] = [],
        [Any] = [new("type_url", 1, "string"), new("value", 2, "bytes")],
    };

    public static IReadOnlyList<ProtoField> Fields(string message) =>
        Messages.TryGetValue(message, out var fields) ? fields : throw new KeyNotFoundException($"SparkProto has no message {message}.");

    public static ProtoField Field(string message, string name) =>
        Fields(message).FirstOrDefault(f => f.Name == name) ?? throw new KeyNotFoundException($"SparkProto: {message} has no field {name}.");
}

/// <summary>One field: its name, number, and type (a scalar keyword or a message name), as Spark declares it.</summary>
internal sealed record ProtoField(string Name, int Number, string Type, bool Repeated = false)
{
    public bool IsMessage => Type is not ("string" or "bytes" or "int64" or "int32" or "bool");
}
