using System.Globalization;
using KpiPipeline.Kpis;
using KpiPipeline.Kpis.Sql;
using KpiPipeline.Lake;
using KpiPipeline.SparkJob.SparkConnect;
using KpiPipeline.Transform;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

/// <summary>
/// The Spark engine against the loopback server: the SQL it sends (view, then one query per grain, in one
/// session) and the records it builds from Spark-style JSON rows, compared with the in-process engine on
/// the same curated lines. What Spark itself computes from that SQL is not exercised here (no Spark on
/// this machine); main's renderer tests prove the SQL against SQLite.
/// </summary>
[Collection(FakeSparkConnectServerCollection.Name)]
public sealed class SparkKpiEngineTests(FakeSparkConnectServer server) : IDisposable
{
    private const string Location = "s3a://kpi-lake/curated/order_lines/";

    private readonly DirectoryInfo _lake = Directory.CreateTempSubdirectory("spark-kpi-engine-");

    public void Dispose() => _lake.Delete(recursive: true);

    [Fact]
    public async Task ComputeAsync_TouchedDates_ReturnsTheSameRecordsAsTheInProcessEngine()
    {
        DateOnly[] dates = [new(2031, 3, 1), new(2031, 3, 2)];
        var expected = await InProcessSnapshotAsync(dates);
        Assert.NotEmpty(expected.Daily);
        Assert.NotEmpty(expected.Category);
        var viewSql = SparkKpiEngine.CreateViewSql(Location);
        server.When(viewSql, Statement);
        // Rows arrive in several Arrow batches, formatted the way Spark's to_json prints decimals.
        server.When(SparkKpiEngine.QuerySql(KpiGrain.Daily, dates), call => RowsAsync(call, [.. expected.Daily.Select(SparkJson)]));
        server.When(SparkKpiEngine.QuerySql(KpiGrain.Category, dates), call => RowsAsync(call, [.. expected.Category.Select(SparkJson)]));
        using var client = CreateClient();

        var actual = await CreateSut(client).ComputeAsync(dates, sink: null, CancellationToken.None);

        Assert.Equal(expected.Daily, actual.Daily);
        Assert.Equal(expected.Category, actual.Category);
    }

    [Fact]
    public async Task ComputeAsync_TouchedDates_CreatesTheViewThenRunsBothRenderedQueriesInOneSession()
    {
        DateOnly[] dates = [new(2031, 4, 2), new(2031, 4, 1)];
        server.When(SparkKpiEngine.CreateViewSql(Location), Statement);
        server.When(SparkKpiEngine.QuerySql(KpiGrain.Daily, dates), call => RowsAsync(call, []));
        server.When(SparkKpiEngine.QuerySql(KpiGrain.Category, dates), call => RowsAsync(call, []));
        using var client = CreateClient();

        var snapshot = await CreateSut(client).ComputeAsync(dates, sink: null, CancellationToken.None);

        Assert.Empty(snapshot.Daily);
        var requests = server.ReceivedInSession(client.SessionId);
        Assert.Equal(["command.sql_command", "root.sql", "root.sql"], requests.Select(r => r.PlanShape));
        Assert.StartsWith("CREATE OR REPLACE TEMPORARY VIEW kpi_curated_order_lines\nUSING csv", requests[0].Sql, StringComparison.Ordinal);
        Assert.Contains($"path '{Location}'", requests[0].Sql, StringComparison.Ordinal);
        Assert.Contains("escape '\"'", requests[0].Sql, StringComparison.Ordinal);
        foreach (var (request, grain) in requests.Skip(1).Zip([KpiGrain.Daily, KpiGrain.Category]))
        {
            Assert.StartsWith("SELECT to_json(struct(*)) AS j FROM (\n", request.Sql, StringComparison.Ordinal);
            Assert.Contains(KpiSqlRenderer.Render(grain, SparkKpiEngine.SourceRelation(dates), dates, SqlDialect.Spark), request.Sql, StringComparison.Ordinal);
            // Partition pruning: only the touched dates' folders are read.
            Assert.Contains("WHERE CAST(`date` AS STRING) IN ('2031-04-01', '2031-04-02')", request.Sql, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ComputeAsync_NoDates_SendsNothing()
    {
        using var client = CreateClient();

        var snapshot = await CreateSut(client).ComputeAsync([], sink: null, CancellationToken.None);

        Assert.Same(KpiSnapshot.Empty, snapshot);
        Assert.Empty(server.ReceivedInSession(client.SessionId));
    }

    [Fact]
    public async Task ComputeAsync_NullRatio_IsZeroLikeTheInProcessEngine()
    {
        DateOnly[] dates = [new(2031, 5, 1)];
        server.When(SparkKpiEngine.CreateViewSql(Location), Statement);
        server.When(SparkKpiEngine.QuerySql(KpiGrain.Daily, dates), call => RowsAsync(call,
            ["{\"date_key\":\"2031-05-01\",\"total_orders\":0,\"total_revenue\":0.00,\"total_items_sold\":0,\"unique_customers\":0}"]));
        server.When(SparkKpiEngine.QuerySql(KpiGrain.Category, dates), call => RowsAsync(call,
            ["{\"date_key\":\"2031-05-01\",\"daily_revenue\":1.50,\"avg_order_value\":null}"]));
        using var client = CreateClient();

        var snapshot = await CreateSut(client).ComputeAsync(dates, sink: null, CancellationToken.None);

        Assert.Equal(new DailyKpi(dates[0], 0, 0m, 0, 0m, 0), Assert.Single(snapshot.Daily));
        Assert.Equal(new CategoryKpi(string.Empty, dates[0], 1.50m, 0m, 0m), Assert.Single(snapshot.Category));
    }

    [Theory]
    [InlineData(1, "not json", "the row is not JSON")]
    [InlineData(2, "[1]", "the row is not a JSON object")]
    [InlineData(3, "{\"date_key\":\"01/06/2031\"}", "date_key is missing or not yyyy-MM-dd")]
    [InlineData(4, "{\"date_key\":\"2031-06-01\",\"total_orders\":1.5}", "total_orders is missing or not a whole number")]
    [InlineData(5, "{\"date_key\":\"2031-06-01\",\"total_orders\":1,\"total_revenue\":\"12\"}", "total_revenue is missing or not a number")]
    public async Task ComputeAsync_UnexpectedRow_ThrowsNamingTheProblemAndTheRow(int day, string row, string problem)
    {
        DateOnly[] dates = [new(2031, 6, day)];
        server.When(SparkKpiEngine.CreateViewSql(Location), Statement);
        server.When(SparkKpiEngine.QuerySql(KpiGrain.Daily, dates), call => RowsAsync(call, [row]));
        using var client = CreateClient();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => CreateSut(client).ComputeAsync(dates, sink: null, CancellationToken.None));

        Assert.StartsWith($"Spark Daily KPI query returned an unexpected row: {problem}", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith(row, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ComputeAsync_ViewFails_ThrowsTheSqlErrorWithoutQuerying()
    {
        const string location = "s3a://missing-bucket/curated/order_lines/";
        DateOnly[] dates = [new(2031, 7, 1)];
        server.When(SparkKpiEngine.CreateViewSql(location), call =>
        {
            call.Finish(13, "%5BPATH_NOT_FOUND%5D Path does not exist: s3a://missing-bucket/curated/order_lines.");
            return Task.CompletedTask;
        });
        using var client = CreateClient();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => new SparkKpiEngine(client, location).ComputeAsync(dates, sink: null, CancellationToken.None));

        Assert.EndsWith("(INTERNAL): [PATH_NOT_FOUND] Path does not exist: s3a://missing-bucket/curated/order_lines.", ex.Message, StringComparison.Ordinal);
        Assert.Single(server.ReceivedInSession(client.SessionId));
    }

    [Fact]
    public void CreateViewSql_LocationWithQuoteAndBackslash_IsEscaped()
    {
        var sql = SparkKpiEngine.CreateViewSql(@"file:///tmp/it's\lake/");

        Assert.Contains(@"path 'file:///tmp/it\'s\\lake/'", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void CuratedLocation_Bucket_IsTheS3aCuratedPrefix()
    {
        Assert.Equal("s3a://kpi-lake/curated/order_lines/", SparkKpiEngine.CuratedLocation("kpi-lake"));
    }

    [Fact]
    public void CuratedLocation_LocalLake_IsAFileUriOfTheCuratedFolder()
    {
        var location = SparkKpiEngine.CuratedLocation(new LocalObjectStore(_lake.FullName));

        Assert.Equal(new Uri(Path.Combine(_lake.FullName, "curated/order_lines/")).AbsoluteUri, location);
        Assert.StartsWith("file:///", location, StringComparison.Ordinal);
        Assert.EndsWith("/curated/order_lines/", location, StringComparison.Ordinal);
    }

    private SparkConnectClient CreateClient() => new(SparkConnectionString.Parse(server.PlaintextConnectionString));

    private static SparkKpiEngine CreateSut(SparkConnectClient client) => new(client, Location);

    private static async Task Statement(FakeCall call)
    {
        await call.WriteAsync(SparkResponses.CommandResult(call.SessionId));
        call.Finish();
    }

    private static async Task RowsAsync(FakeCall call, string[] rows)
    {
        // Two rows per Arrow batch, and always at least one batch, as Spark sends.
        var batches = rows.Chunk(2).DefaultIfEmpty([]);
        foreach (var batch in batches)
            await call.WriteAsync(SparkResponses.Batch(call.SessionId, batch));
        await call.WriteAsync(SparkResponses.Metrics(call.SessionId));
        call.Finish();
    }

    /// <summary>What Spark's to_json prints: decimals with their full scale (ROUND(x, 2) → 12.50), counts as integers.</summary>
    private static string SparkJson(DailyKpi kpi) => string.Create(CultureInfo.InvariantCulture,
        $"{{\"date_key\":\"{LakeLayout.FormatDate(kpi.Date)}\",\"total_orders\":{kpi.TotalOrders},\"total_revenue\":{kpi.TotalRevenue:F2},\"total_items_sold\":{kpi.TotalItemsSold},\"return_rate\":{kpi.ReturnRate:F4},\"unique_customers\":{kpi.UniqueCustomers}}}");

    private static string SparkJson(CategoryKpi kpi) => string.Create(CultureInfo.InvariantCulture,
        $"{{\"category\":{System.Text.Json.JsonSerializer.Serialize(kpi.Category)},\"date_key\":\"{LakeLayout.FormatDate(kpi.Date)}\",\"daily_revenue\":{kpi.DailyRevenue:F2},\"avg_order_value\":{kpi.AvgOrderValue:F2},\"avg_return_rate\":{kpi.AvgReturnRate:F4}}}");

    /// <summary>Curated lines over two dates from two batches (a late line, a duplicated line, returns), through the in-process engine.</summary>
    private async Task<KpiSnapshot> InProcessSnapshotAsync(DateOnly[] dates)
    {
        var store = new LocalObjectStore(_lake.FullName);
        var (day1, day2) = (dates[0], dates[1]);
        var (batch1, batch2) = (day1, day2);
        await WriteCuratedAsync(store, day1, batch1,
            Line(day1, batch1, "i:1", "o1", "u1", "Books", 12.99m, 2, returned: false),
            Line(day1, batch1, "i:2", "o1", "u1", "Électronique", 199.5m, 1, returned: true),
            Line(day1, batch1, "i:3", "o2", "u2", "Books", 7.25m, 3, returned: false),
            Line(day1, batch1, "i:4", "o3", "u1", "Toys, \"Kids\"", 0.1m, 7, returned: false));
        // The second batch re-delivers i:3 with a corrected price (its copy counts) and a late order for day 1.
        await WriteCuratedAsync(store, day1, batch2,
            Line(day1, batch2, "i:3", "o2", "u2", "Books", 7.5m, 3, returned: false),
            Line(day1, batch2, "i:9", "o9", "u3", "Books", 3.333m, 1, returned: true));
        await WriteCuratedAsync(store, day2, batch2,
            Line(day2, batch2, "i:5", "o5", "u4", "Books", 10m, 1, returned: false),
            Line(day2, batch2, "i:6", "o6", "u5", "Électronique", 5.55m, 3, returned: false));
        return await new InProcessKpiEngine(store).ComputeAsync(dates, sink: null, CancellationToken.None);
    }

    private static OrderLine Line(DateOnly date, DateOnly batch, string lineKey, string orderId, string userId, string category, decimal price, int quantity, bool returned) =>
        new(date, LakeLayout.FormatDate(batch), lineKey, orderId, userId, "p-" + lineKey, category, price, quantity, returned);

    private static async Task WriteCuratedAsync(IObjectStore store, DateOnly date, DateOnly batch, params OrderLine[] lines)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new CuratedOrderLines.Writer(buffer))
        {
            foreach (var line in lines)
                await writer.WriteAsync(line, CancellationToken.None);
        }

        await store.PutAsync(LakeLayout.CuratedKey(date, batch), buffer.ToArray(), CancellationToken.None);
    }
}
