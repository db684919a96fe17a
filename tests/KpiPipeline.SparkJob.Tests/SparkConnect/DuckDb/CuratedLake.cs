using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.SparkJob.Tests.SparkConnect.DuckDb;

/// <summary>
/// Curated order lines as the KPI job writes them: one Parquet object per (date, batch) at
/// <c>curated/order_lines/date=…/batch=…/lines.parquet</c>, written by the engine's own <see cref="CuratedOrderLines.Writer"/>,
/// so the in-process engine and Spark's stand-in read the very same files.
/// </summary>
internal static class CuratedLake
{
    public static async Task WriteAsync(LocalObjectStore lake, IReadOnlyList<OrderLine> lines)
    {
        foreach (var group in lines.GroupBy(l => (l.Date, l.BatchId)))
        {
            var (date, batchId) = group.Key;
            using var parquet = new MemoryStream();
            await using (var writer = new CuratedOrderLines.Writer(parquet))
            {
                foreach (var line in group)
                    await writer.WriteAsync(line, CancellationToken.None);
            }

            if (!LakeLayout.TryParseDate(batchId, out var batchDate))
                throw new ArgumentException($"Batch ids here are dates, not '{batchId}'.", nameof(lines));
            await lake.PutAsync(LakeLayout.CuratedKey(date, batchDate), parquet.ToArray(), CancellationToken.None);
        }
    }
}
