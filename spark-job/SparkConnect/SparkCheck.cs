using System.Globalization;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>What <see cref="SparkCheck"/> found: the server, what it wrote and read back, and both engines' KPIs.</summary>
public sealed record SparkCheckResult(string SparkVersion, string Location, int LinesWritten, long LinesRead, KpiSnapshot Expected, KpiSnapshot Actual)
{
    public bool Passed =>
        LinesRead == LinesWritten && Expected.Daily.SequenceEqual(Actual.Daily) && Expected.Category.SequenceEqual(Actual.Category);
}

/// <summary>
/// One command for someone who has Spark to prove this path against it: asks the server's version, has Spark write a
/// few curated order lines as Parquet in the curated layout (<c>date=…/</c> folders) at a location it can reach, reads
/// them back through the same data-source view the KPI engine uses, runs the KPI queries and compares them with the
/// in-process computation of the same lines.
/// </summary>
public sealed class SparkCheck(SparkConnectClient client)
{
    /// <summary>Two dates from two batches: a late line, an item re-delivered with another price, returns, awkward text.</summary>
    public static IReadOnlyList<OrderLine> SampleLines { get; } =
    [
        new(new(2031, 3, 1), "2031-03-01", "i:1", "o1", "u1", "p1", "Books", 12.99m, 2, false),
        new(new(2031, 3, 1), "2031-03-01", "i:2", "o1", "u1", "p2", "Électronique", 199.5m, 1, true),
        new(new(2031, 3, 1), "2031-03-01", "i:3", "o2", "u2", "p1", "Books", 7.25m, 3, false),
        new(new(2031, 3, 1), "2031-03-01", "r:o3,p3,0.105", "o3", "u1", "p3", "Toys, \"Kids\" 'n' more", 0.105m, 7, false),
        new(new(2031, 3, 1), "2031-03-02", "i:3", "o2", "u2", "p1", "Books", 7.5m, 3, false),
        new(new(2031, 3, 1), "2031-03-02", "i:9", "o9", "u3", "p1", "Books", 3.333333m, 1, true),
        new(new(2031, 3, 2), "2031-03-02", "i:5", "o5", "u4", "p1", "Books", 10m, 1, false),
        new(new(2031, 3, 2), "2031-03-02", "i:6", "o6", "u5", "p2", "Électronique", 5.555m, 3, false),
    ];

    /// <summary>Writes the sample under <paramref name="location"/> (a fresh folder: each date's folder is overwritten), then checks.</summary>
    public async Task<SparkCheckResult> RunAsync(string location, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        var folder = location.EndsWith('/') ? location : location + "/";
        var version = await client.GetSparkVersionAsync(cancellationToken).ConfigureAwait(false);

        foreach (var day in SampleLines.GroupBy(l => l.Date))
            await client.ExecuteSqlCommandAsync(WriteSql(folder, day.Key, [.. day]), cancellationToken).ConfigureAwait(false);

        await client.ExecuteSqlCommandAsync(SparkKpiEngine.CreateViewSql(folder), cancellationToken).ConfigureAwait(false);
        var read = await client.QueryAsync($"SELECT COUNT(*) AS line_count FROM {SparkKpiEngine.ViewName}", row => row.GetInt64("line_count"), cancellationToken)
            .SingleAsync(cancellationToken).ConfigureAwait(false);

        DateOnly[] dates = [.. SampleLines.Select(l => l.Date).Distinct().Order()];
        var actual = await new SparkKpiEngine(client, folder).ComputeAsync(dates, sink: null, cancellationToken).ConfigureAwait(false);
        return new SparkCheckResult(version, folder, SampleLines.Count, read, InProcess(dates), actual);
    }

    /// <summary>One date's lines as Parquet in its <c>date=</c> folder, with the curated contract's column types.</summary>
    internal static string WriteSql(string folder, DateOnly date, IReadOnlyList<OrderLine> lines)
    {
        var rows = string.Join(",\n  ", lines.Select(l => string.Create(CultureInfo.InvariantCulture,
            $"(DATE '{LakeLayout.FormatDate(l.Date)}', {Literal(l.BatchId)}, {Literal(l.LineKey)}, {Literal(l.OrderId)}, {(l.LineKey.StartsWith("i:", StringComparison.Ordinal) ? Literal(l.LineKey[2..]) : "CAST(NULL AS STRING)")}, {Literal(l.UserId)}, {Literal(l.ProductId)}, {Literal(l.Category)}, CAST('{l.SalePrice}' AS DECIMAL(18,6)), {l.Quantity}, {(l.Returned ? "true" : "false")}, CAST('{LakeLayout.FormatDate(l.Date)}T12:00:00Z' AS TIMESTAMP))")));
        return $"""
            INSERT OVERWRITE DIRECTORY {Literal($"{folder}date={LakeLayout.FormatDate(date)}")} USING parquet
            SELECT * FROM (VALUES
              {rows}
            ) AS curated(order_date, batch_id, line_key, order_id, item_id, user_id, product_id, category, sale_price, quantity, returned, created_at)
            """;
    }

    /// <summary>The in-process engine's result for the sample: each date aggregated with its newest batch's lines first.</summary>
    private static KpiSnapshot InProcess(IReadOnlyList<DateOnly> dates)
    {
        var daily = new List<DailyKpi>();
        var categories = new List<CategoryKpi>();
        foreach (var date in dates)
        {
            var aggregator = new KpiAggregator();
            foreach (var line in SampleLines.Where(l => l.Date == date).OrderByDescending(l => l.BatchId, StringComparer.Ordinal))
                aggregator.Add(line);
            var result = aggregator.Result();
            daily.AddRange(result.Daily);
            categories.AddRange(result.Category);
        }

        return new KpiSnapshot(daily, categories) { Dates = dates }.Sorted();
    }

    private static string Literal(string value) => SparkKpiEngine.Literal(value);
}
