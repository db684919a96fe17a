using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using KpiPipeline.SparkJob.Tests.SparkConnect.Wire;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

/// <summary>ExecutePlan responses shaped like a Spark server's (SPARK-CONNECT.md section 2), built from the suite's own table.</summary>
internal static class SparkResponses
{
    /// <summary>The DataType `schema` response (field 7) Spark sends before the batches; the client does not declare it.</summary>
    public static WireBuilder Schema() => Response().Set("schema", new WireBuilder("DataType"));

    /// <summary>One ArrowBatch: a self-contained IPC stream written by Apache.Arrow, as Spark sends.</summary>
    public static WireBuilder Batch(ArrowTable rows) => Batch(rows.Length, rows.ToIpcStream());

    public static WireBuilder Batch(long rowCount, byte[] ipc) => Response().Set("arrow_batch",
        new WireBuilder("ExecutePlanResponse.ArrowBatch").Set("row_count", rowCount).Set("data", ipc));

    public static WireBuilder Metrics() => Response().Set("metrics", new WireBuilder("ExecutePlanResponse.Metrics")
        .Set("metrics", new WireBuilder("ExecutePlanResponse.Metrics.MetricObject").Set("name", "LocalTableScan").Set("plan_id", 7L)));

    /// <summary>Spark 4's execution_progress (field 18, every 2 s of a long query): a oneof member the client does not declare.</summary>
    public static WireBuilder Progress() => Response().Set("execution_progress", new WireBuilder("ExecutePlanResponse.ExecutionProgress").Set("num_inflight_tasks", 4L));

    /// <summary>A command's result: its (here empty) output as a LocalRelation holding Arrow IPC.</summary>
    public static WireBuilder CommandResult() => Response().Set("sql_command_result", new WireBuilder("ExecutePlanResponse.SqlCommandResult")
        .Set("relation", new WireBuilder("Relation").Set("local_relation", new WireBuilder("LocalRelation")
            .Set("data", ArrowTable.IpcStream(new ArrowTable().Schema, [])))));

    public static WireBuilder Response() => new("ExecutePlanResponse");

    /// <summary>grpc-status-details-bin as Spark's ErrorUtils sends it: google.rpc.Status with an ErrorInfo, unpadded base64.</summary>
    public static string ErrorDetails(string reason)
    {
        var errorInfo = new ErrorInfo { Reason = reason, Domain = "org.apache.spark" };
        errorInfo.Metadata["classes"] = $"[\"{reason}\"]";
        var status = new Google.Rpc.Status { Code = 13, Message = "x" };
        status.Details.Add(Any.Pack(errorInfo));
        return Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');
    }
}
