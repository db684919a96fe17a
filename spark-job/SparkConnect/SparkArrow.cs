using Apache.Arrow;
using Apache.Arrow.Ipc;
using KpiPipeline.SparkJob.SparkConnect.Protocol;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>Reads the Arrow IPC stream of one <c>ArrowBatch</c> response with Apache.Arrow.</summary>
internal static class SparkArrow
{
    /// <summary>
    /// The record batches of <paramref name="batch"/> (each a self-contained IPC stream: schema, batches, end
    /// marker; an empty result may carry a schema only). The caller disposes each batch. Their rows must add up
    /// to the response's <c>row_count</c>, so a truncated stream is an error, not a shorter result.
    /// </summary>
    public static IEnumerable<RecordBatch> ReadBatches(ExecutePlanResponse.Types.ArrowBatch batch)
    {
        using var reader = new ArrowStreamReader(batch.Data.Memory);
        long rows = 0;
        while (Next(reader) is { } recordBatch)
        {
            rows += recordBatch.Length;
            yield return recordBatch;
        }

        if (rows != batch.RowCount)
            throw SparkConnectErrors.ArrowMalformed($"the batch says {batch.RowCount} rows but its Arrow data holds {rows}");
    }

    private static RecordBatch? Next(ArrowStreamReader reader)
    {
        try
        {
            return reader.ReadNextRecordBatch();
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IndexOutOfRangeException or OverflowException or NotSupportedException or EndOfStreamException or InvalidOperationException)
        {
            // Apache.Arrow reports damaged or unsupported IPC data with these (compressed bodies need a codec we do not ask for).
            throw SparkConnectErrors.ArrowMalformed("the IPC stream does not decode", ex);
        }
    }
}
