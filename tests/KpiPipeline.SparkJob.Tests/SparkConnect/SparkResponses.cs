using Google.Protobuf;
using KpiPipeline.SparkJob.SparkConnect.Protocol;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

/// <summary>ExecutePlan responses shaped like a Spark server's (SPARK-CONNECT.md section 2).</summary>
internal static class SparkResponses
{
    /// <summary>Stands in for the DataType `schema` response (field 7), which our proto does not declare.</summary>
    public static ExecutePlanResponse Schema(string sessionId) => WithUnknownField(new ExecutePlanResponse { SessionId = sessionId }, fieldNumber: 7);

    /// <summary>One ArrowBatch: a self-contained IPC stream (schema, one record batch, EOS), as Spark sends.</summary>
    public static ExecutePlanResponse Batch(string sessionId, params string?[] rows) => new()
    {
        SessionId = sessionId,
        ArrowBatch = new ArrowBatch
        {
            RowCount = rows.Length,
            Data = ByteString.CopyFrom(new ArrowTestWriter().Schema().Batch(rows).EndOfStream().ToArray()),
        },
    };

    public static ExecutePlanResponse Metrics(string sessionId) => new() { SessionId = sessionId, Metrics = new Metrics() };

    public static ExecutePlanResponse CommandResult(string sessionId) => new()
    {
        SessionId = sessionId,
        SqlCommandResult = new SqlCommandResult
        {
            Relation = new Relation
            {
                LocalRelation = new LocalRelation { Data = ByteString.CopyFrom(new ArrowTestWriter().Schema().Batch([]).EndOfStream().ToArray()) },
            },
        },
    };

    /// <summary>A newer server's execution_progress-like response (field 18): unknown to us, must be skipped.</summary>
    public static byte[] UnknownResponse(string sessionId) => FakeCall.Frame(WithUnknownField(new ExecutePlanResponse { SessionId = sessionId }, fieldNumber: 18));

    public static string ErrorDetails(string reason)
    {
        var errorInfo = new RpcErrorInfo { Reason = reason, Domain = "org.apache.spark" };
        errorInfo.Metadata["classes"] = $"[\"{reason}\"]";
        var status = new RpcStatus { Code = 13, Message = "x" };
        status.Details.Add(new RpcAny { TypeUrl = "type.googleapis.com/google.rpc.ErrorInfo", Value = errorInfo.ToByteString() });
        // gRPC sends binary headers as unpadded base64.
        return Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');
    }

    private static ExecutePlanResponse WithUnknownField(ExecutePlanResponse response, int fieldNumber)
    {
        // Append a length-delimited field we do not declare, then re-parse: it round-trips as unknown.
        using var stream = new MemoryStream();
        response.WriteTo(stream);
        var output = new CodedOutputStream(stream);
        output.WriteTag(fieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFromUtf8("opaque"));
        output.Flush();
        return ExecutePlanResponse.Parser.ParseFrom(stream.ToArray());
    }
}
