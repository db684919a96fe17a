using System.Globalization;
using DuckDB.NET.Data;
using KpiPipeline.Kpis;
using KpiPipeline.Stores;
using KpiPipeline.Testing;
using KpiPipeline.Transform;
using Microsoft.Extensions.Logging.Abstractions;
using static KpiPipeline.Testing.ShopFiles;

namespace KpiPipeline.Core.Tests.Curated;

/// <summary>
/// The curated Parquet objects as another engine sees them: DuckDB reads the lake's <c>curated/order_lines/</c>
/// with Hive partitioning, and must find exactly the lines the batch joined, with the contract's types.
/// </summary>
public sealed class DuckDbCuratedReadBackTests : IDisposable
{
    private readonly TempLake _lake = new();

    /// <summary>
    /// The expected lines, written out by hand from the batch below: o2 is created at 23:30 -01:00, so its line
    /// belongs to 2024-01-02 UTC; i3 has no quantity (1); o3 is returned; the category needs CSV quoting.
    /// </summary>
    private static readonly string[] ExpectedLines =
    [
        "2024-01-01|2024-01-01|2024-01-01|2024-01-01|i:i1|o1|i1|u1|p1|A|10.000000|2|false|2024-01-01 10:00:00",
        "2024-01-01|2024-01-01|2024-01-01|2024-01-01|i:i2|o1|i2|u1|p2|B, \"quoted\" – é|5.500000|1|false|2024-01-01 10:00:00",
        "2024-01-01|2024-01-01|2024-01-01|2024-01-01|i:i3|o3|i3|u1|p1|A|3.250000|1|true|2024-01-01 08:15:00",
        "2024-01-02|2024-01-01|2024-01-02|2024-01-01|i:i4|o2|i4|u2|p2|B, \"quoted\" – é|7.000000|3|false|2024-01-02 00:30:00",
        "2024-01-01|2024-01-01|2024-01-01|2024-01-01|i:i6|o3|i6|u1|p2|B, \"quoted\" – é|2.000001|1|true|2024-01-01 08:15:00",
    ];

    [Fact]
    public async Task CuratedObjects_ReadByDuckDbWithHivePartitions_AreTheJoinedLines()
    {
        await RunDayOneAsync();

        var rows = Query($"""
            SELECT CAST("date" AS VARCHAR), CAST(batch AS VARCHAR), CAST(order_date AS VARCHAR), batch_id, line_key, order_id,
                   item_id, user_id, product_id, category, CAST(sale_price AS VARCHAR), quantity, returned,
                   strftime(make_timestamp(epoch_us(created_at)), '%Y-%m-%d %H:%M:%S')
            FROM read_parquet('{CuratedGlob()}', hive_partitioning = true)
            ORDER BY line_key
            """);

        Assert.Equal(ExpectedLines, rows);
    }

    [Fact]
    public async Task CuratedObjects_ReadByDuckDb_HaveTheContractsColumnTypesAndBothPartitionColumns()
    {
        await RunDayOneAsync();

        var types = Query($"DESCRIBE SELECT * FROM read_parquet('{CuratedGlob()}', hive_partitioning = true)")
            .Select(row => string.Join(' ', row.Split('|').Take(3)))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(
            new[]
            {
                "order_date DATE YES", "batch_id VARCHAR YES", "line_key VARCHAR YES", "order_id VARCHAR YES", "item_id VARCHAR YES",
                "user_id VARCHAR YES", "product_id VARCHAR YES", "category VARCHAR YES", "sale_price DECIMAL(18,6) YES",
                "quantity INTEGER YES", "returned BOOLEAN YES", "created_at TIMESTAMP WITH TIME ZONE YES",
                "date DATE YES", "batch DATE YES",
            }
            .Order(StringComparer.Ordinal),
            types);
    }

    [Fact]
    public async Task CuratedObjects_LinesWithoutItemIds_HaveANullItemId()
    {
        var manifest = await new Transform.ValidatedBatch(_lake, "2024-01-01")
            .Products(Products(("p1", "A")))
            .Orders("part-0.csv", Orders(("o1", "u1", "2024-01-01", "Complete")))
            .Items("no-ids.csv", "order_id,product_id,price\no1,p1,1.50\n")
            .WriteManifestAsync();
        await RunAsync(manifest);

        var rows = Query($"SELECT item_id IS NULL, starts_with(line_key, 'r:') FROM read_parquet('{CuratedGlob()}')");

        Assert.Equal(["true|true"], rows);
    }

    [Fact]
    public async Task Writer_ManyRowGroupsEncodedColumnByColumnOnSeveralThreads_ReadByDuckDbLineForLine()
    {
        var lines = Kpis.RandomLines.Create(seed: 11, count: 1000)
            .Select((line, i) => line with { CreatedAt = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i * 37) })
            .ToList();
        var path = Path.Combine(_lake.Root, "lines.parquet");
        await using (var file = File.Create(path))
        await using (var writer = new CuratedOrderLines.Writer(file, rowGroupLines: 64))
        {
            foreach (var line in lines)
                await writer.WriteAsync(line, CancellationToken.None);
        }

        var rows = Query($"""
            SELECT CAST(order_date AS VARCHAR), batch_id, line_key, order_id, coalesce(item_id, 'NULL'), user_id, product_id, category,
                   CAST(sale_price AS VARCHAR), quantity, returned, strftime(make_timestamp(epoch_us(created_at)), '%Y-%m-%d %H:%M:%S')
            FROM read_parquet('{path.Replace('\\', '/')}')
            """);
        var rowGroups = Query($"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{path.Replace('\\', '/')}')");

        Assert.Equal("16", Assert.Single(rowGroups));
        Assert.Equal(lines.Select(Render), rows);

        static string Render(OrderLine line) => string.Join('|',
            line.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), line.BatchId, line.LineKey, line.OrderId, line.ItemId ?? "NULL",
            line.UserId, line.ProductId, line.Category, line.SalePrice.ToString("F6", CultureInfo.InvariantCulture),
            line.Quantity.ToString(CultureInfo.InvariantCulture), line.Returned ? "true" : "false",
            line.CreatedAt!.Value.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
    }

    private async Task RunDayOneAsync()
    {
        var manifest = await new Transform.ValidatedBatch(_lake, "2024-01-01")
            .Products(Products(("p1", "A"), ("p2", "B, \"quoted\" – é")))
            .Orders("part-0.csv", "order_id,user_id,created_at,status\n"
                + "o1,u1,2024-01-01T10:00:00Z,Complete\n"
                + "o2,u2,2024-01-01T23:30:00-01:00,Shipped\n"
                + "o3,u1,2024-01-01 08:15:00,Returned\n")
            .Items("part-0.csv", Items(("i1", "o1", "p1", "10.00", "2"), ("i2", "o1", "p2", "5.5", "1"), ("i3", "o3", "p1", "3.25", ""),
                ("i4", "o2", "p2", "7.00", "3"), ("i6", "o3", "p2", "2.000001", "1")))
            .WriteManifestAsync();
        await RunAsync(manifest);
    }

    private async Task RunAsync(string manifestKey)
    {
        await using var store = await SqliteKpiStore.OpenInLakeAsync(_lake.Root, CancellationToken.None);
        var job = new KpiJob(_lake.Store, store, new InProcessKpiEngine(_lake.Store), TimeProvider.System, NullLogger<KpiJob>.Instance);
        await job.RunAsync(manifestKey, null, CancellationToken.None);
    }

    private string CuratedGlob() => Path.Combine(_lake.Root, "curated", "order_lines", "*", "*", "*.parquet").Replace('\\', '/');

    /// <summary>Every row of the query, its values joined with '|' as DuckDB renders them.</summary>
    private static List<string> Query(string sql)
    {
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var values = Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i) switch
            {
                DBNull => "NULL",
                bool flag => flag ? "true" : "false",
                var value => Convert.ToString(value, CultureInfo.InvariantCulture),
            });
            rows.Add(string.Join('|', values));
        }
        return rows;
    }

    public void Dispose() => _lake.Dispose();
}
