using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.SparkJob.Tests.SparkConnect.DuckDb;

/// <summary>
/// Curated order lines on disk, one object per (date, batch): in one lake the CSV the in-process engine reads today,
/// in another the Parquet of the curated contract (docs/architecture.md) that Spark reads, written by DuckDB with the
/// contract's column types (DATE, DECIMAL(18,6), INT32, BOOLEAN, TIMESTAMP in UTC).
/// </summary>
internal static class CuratedLake
{
    public static async Task WriteAsync(LocalObjectStore csvLake, LocalObjectStore parquetLake, IReadOnlyList<OrderLine> lines)
    {
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        foreach (var group in lines.GroupBy(l => (l.Date, l.BatchId)))
        {
            var (date, batchId) = group.Key;
            using (var csv = new MemoryStream())
            {
                await using (var writer = new CuratedOrderLines.Writer(csv))
                {
                    foreach (var line in group)
                        await writer.WriteAsync(line, CancellationToken.None);
                }

                await csvLake.PutAsync($"{LakeLayout.CuratedDatePrefix(date)}batch={batchId}.csv", csv.ToArray(), CancellationToken.None);
            }

            var file = Path.Combine(parquetLake.Root, LakeLayout.CuratedDatePrefix(date), $"batch={batchId}.parquet");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            using var command = duck.CreateCommand();
            command.CommandText = $"COPY ({Select(group)}) TO {Literal(file)} (FORMAT parquet)";
            command.ExecuteNonQuery();
        }
    }

    private static string Select(IEnumerable<OrderLine> lines)
    {
        var values = string.Join(",\n", lines.Select(l => string.Create(CultureInfo.InvariantCulture,
            $"({Literal(LakeLayout.FormatDate(l.Date))}, {Literal(l.BatchId)}, {Literal(l.LineKey)}, {Literal(l.OrderId)}, {(l.LineKey.StartsWith("i:", StringComparison.Ordinal) ? Literal(l.LineKey[2..]) : "NULL")}, {Literal(l.UserId)}, {Literal(l.ProductId)}, {Literal(l.Category)}, {Literal(l.SalePrice.ToString(CultureInfo.InvariantCulture))}, {l.Quantity}, {(l.Returned ? "true" : "false")}, {Literal(LakeLayout.FormatDate(l.Date) + " 12:00:00+00")})")));
        return $"""
            SELECT CAST(c0 AS DATE) AS order_date, CAST(c1 AS VARCHAR) AS batch_id, CAST(c2 AS VARCHAR) AS line_key,
                   CAST(c3 AS VARCHAR) AS order_id, CAST(c4 AS VARCHAR) AS item_id, CAST(c5 AS VARCHAR) AS user_id,
                   CAST(c6 AS VARCHAR) AS product_id, CAST(c7 AS VARCHAR) AS category, CAST(c8 AS DECIMAL(18,6)) AS sale_price,
                   CAST(c9 AS INTEGER) AS quantity, CAST(c10 AS BOOLEAN) AS returned, CAST(c11 AS TIMESTAMPTZ) AS created_at
            FROM (VALUES {values}) AS v(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11)
            """;
    }

    private static string Literal(string value) => new StringBuilder("'").Append(value.Replace("'", "''", StringComparison.Ordinal)).Append('\'').ToString();
}
