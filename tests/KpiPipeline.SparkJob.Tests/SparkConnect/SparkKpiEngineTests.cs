using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.SparkJob.SparkConnect;
using KpiPipeline.SparkJob.Tests.SparkConnect.DuckDb;
using KpiPipeline.Transform;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

/// <summary>
/// The Spark engine end to end short of Spark itself: its SQL goes through the real client and gRPC to the loopback
/// server, where a real SQL engine (DuckDB, with the few dialect translations listed in <see cref="SparkSqlOnDuckDb"/>)
/// runs it over curated Parquet and answers Arrow batches; the typed KPIs must equal the in-process engine's exactly.
/// </summary>
[Collection(FakeSparkConnectServerCollection.Name)]
public sealed class SparkKpiEngineTests(FakeSparkConnectServer server) : IDisposable
{
    /// <summary>Folder names Hadoop's Path(String) must take verbatim: a space, '#', '%', non-ASCII letters.</summary>
    private const string AwkwardFolder = "my lake #1 100% Grüße 湖";

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("spark-kpi-engine-");
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    public void Dispose()
    {
        _timeout.Dispose();
        _temp.Delete(recursive: true);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task ComputeAsync_RandomLake_EqualsTheInProcessEngineExactly(int seed)
    {
        var lines = RandomCuratedLines.Generate(seed);
        var lake = await WriteLakeAsync(lines, seed % 2 == 0 ? AwkwardFolder : "plain");
        // All dates, and a subset: the partition filter must leave the other dates out.
        DateOnly[] all = [.. lines.Select(l => l.Date).Distinct().Order()];
        foreach (var dates in new[] { all, all[..((all.Length + 1) / 2)] })
        {
            var expected = (await new InProcessKpiEngine(lake).ComputeAsync(dates, sink: null, _timeout.Token)).Sorted();
            Assert.NotEmpty(expected.Daily);
            Assert.NotEmpty(expected.Category);
            using var spark = new DuckDbSparkSession();
            await using var client = CreateClient(spark);

            var actual = await new SparkKpiEngine(client, lake).ComputeAsync(dates, sink: null, _timeout.Token);

            Assert.Equal(expected.Daily, actual.Daily);
            Assert.Equal(expected.Category, actual.Category);
            Assert.Equal(dates, actual.Dates.Order());
        }
    }

    [Fact]
    public async Task ComputeAsync_TouchedDates_ReadsTheParquetAsADataSourceThenRunsOneRenderedQueryPerGrain()
    {
        var lines = RandomCuratedLines.Generate(seed: 101);
        var parquetLake = await WriteLakeAsync(lines, AwkwardFolder);
        DateOnly[] dates = [.. lines.Select(l => l.Date).Distinct().OrderDescending()];
        using var spark = new DuckDbSparkSession();
        await using var client = CreateClient(spark);

        await new SparkKpiEngine(client, parquetLake).ComputeAsync(dates, sink: null, _timeout.Token);

        Assert.Equal(["command.sql_command", "root.sql", "root.sql"], server.ReceivedInSession(client.SessionId).Where(r => r.Method == "ExecutePlan").Select(r => r.PlanShape));
        var sql = spark.ReceivedSql;
        Assert.Equal(3, sql.Count);
        Assert.StartsWith("CREATE OR REPLACE TEMPORARY VIEW kpi_curated_order_lines (", sql[0], StringComparison.Ordinal);
        Assert.Contains("USING parquet", sql[0], StringComparison.Ordinal);
        // Hadoop's Path(String) takes the path verbatim: no percent-escapes.
        Assert.Contains($"path 'file://{parquetLake.Root}/curated/order_lines/'", sql[0], StringComparison.Ordinal);
        Assert.DoesNotContain("csv", sql[0], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(SparkKpiEngine.QuerySql(KpiGrain.Daily, dates), sql[1]);
        Assert.Equal(SparkKpiEngine.QuerySql(KpiGrain.Category, dates), sql[2]);
        var partitionFilter = $"WHERE `date` IN ({string.Join(", ", dates.Order().Select(d => $"DATE '{LakeLayout.FormatDate(d)}'"))})";
        Assert.All(sql.Skip(1), query => Assert.Contains(partitionFilter, query, StringComparison.Ordinal));
        Assert.All(sql, statement => Assert.DoesNotContain("to_json", statement, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ComputeAsync_LakeWithoutCuratedObjects_ReturnsNoRowsForTheDatesWithoutCallingSpark()
    {
        using var spark = new DuckDbSparkSession();
        await using var client = CreateClient(spark);
        DateOnly[] dates = [new(2031, 2, 1)];

        var snapshot = await new SparkKpiEngine(client, new LocalObjectStore(_temp.FullName)).ComputeAsync(dates, sink: null, _timeout.Token);

        Assert.Empty(snapshot.Daily);
        Assert.Equal(dates, snapshot.Dates);
        Assert.Empty(server.ReceivedInSession(client.SessionId));
    }

    [Fact]
    public async Task ComputeAsync_DateWithAPreviousVersionCsvObject_IsRefusedNamingItWithoutCallingSpark()
    {
        var lines = RandomCuratedLines.Generate(seed: 7);
        var lake = await WriteLakeAsync(lines, "legacy");
        var date = lines[0].Date;
        var legacyKey = LakeLayout.LegacyCuratedKey(date, date.AddDays(5));
        await lake.PutAsync(legacyKey, "order_date,batch_id,line_key,order_id,user_id,product_id,category,sale_price,quantity,returned\n"u8.ToArray(), _timeout.Token);
        using var spark = new DuckDbSparkSession();
        await using var client = CreateClient(spark);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => new SparkKpiEngine(client, lake).ComputeAsync([date], sink: null, _timeout.Token));

        Assert.StartsWith($"{lake.Describe(legacyKey)}: the Spark engine reads curated Parquet only", ex.Message, StringComparison.Ordinal);
        Assert.Empty(server.ReceivedInSession(client.SessionId));
    }

    [Fact]
    public async Task ComputeAsync_NoDates_SendsNothing()
    {
        await using var client = CreateClient(spark: null);

        var snapshot = await new SparkKpiEngine(client, "s3a://kpi-lake/curated/order_lines/").ComputeAsync([], sink: null, _timeout.Token);

        Assert.Same(KpiSnapshot.Empty, snapshot);
        Assert.Empty(server.ReceivedInSession(client.SessionId));
    }

    [Fact]
    public async Task ComputeAsync_NullRatios_AreZeroLikeTheInProcessEngine()
    {
        const string location = "s3a://null-ratios/curated/order_lines/";
        DateOnly[] dates = [new(2031, 5, 1)];
        server.When(SparkKpiEngine.CreateViewSql(location), call => call.RespondAsync([SparkResponses.CommandResult()]));
        server.When(SparkKpiEngine.QuerySql(KpiGrain.Daily, dates), call => call.RespondAsync([SparkResponses.Batch(new ArrowTable()
            .Date("date_key", dates[0]).Int64("total_orders", 0).Decimal("total_revenue", 38, 2, 0m).Int64("total_items_sold", 0)
            .Decimal("return_rate", 38, 4, [null]).Int64("unique_customers", 0))]));
        server.When(SparkKpiEngine.QuerySql(KpiGrain.Category, dates), call => call.RespondAsync([SparkResponses.Batch(new ArrowTable()
            .String("category", "").Date("date_key", dates[0]).Decimal("daily_revenue", 38, 2, 1.50m)
            .Decimal("avg_order_value", 38, 2, [null]).Decimal("avg_return_rate", 38, 4, [null]))]));
        await using var client = CreateClient(spark: null);

        var snapshot = await new SparkKpiEngine(client, location).ComputeAsync(dates, sink: null, _timeout.Token);

        Assert.Equal(new DailyKpi(dates[0], 0, 0m, 0, 0m, 0), Assert.Single(snapshot.Daily));
        Assert.Equal(new CategoryKpi(string.Empty, dates[0], 1.50m, 0m, 0m), Assert.Single(snapshot.Category));
    }

    [Fact]
    public async Task ComputeAsync_ColumnOfAnotherType_ThrowsNamingTheGrainColumnAndTypes()
    {
        const string location = "s3a://wrong-type/curated/order_lines/";
        DateOnly[] dates = [new(2031, 6, 1)];
        server.When(SparkKpiEngine.CreateViewSql(location), call => call.RespondAsync([SparkResponses.CommandResult()]));
        server.When(SparkKpiEngine.QuerySql(KpiGrain.Daily, dates), call => call.RespondAsync([SparkResponses.Batch(new ArrowTable()
            .Date("date_key", dates[0]).Double("total_orders", 1.5))]));
        await using var client = CreateClient(spark: null);

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => new SparkKpiEngine(client, location).ComputeAsync(dates, sink: null, _timeout.Token));

        Assert.Equal("Spark Daily KPI query returned an unexpected row: Spark result column 'total_orders' is double, which does not convert to an integer.", ex.Message);
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
        await using var client = CreateClient(spark: null);

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => new SparkKpiEngine(client, location).ComputeAsync(dates, sink: null, _timeout.Token));

        Assert.EndsWith("(INTERNAL): [PATH_NOT_FOUND] Path does not exist: s3a://missing-bucket/curated/order_lines.", ex.Message, StringComparison.Ordinal);
        Assert.Single(server.ReceivedInSession(client.SessionId), r => r.Method == "ExecutePlan");
    }

    [Fact]
    public void CreateViewSql_LocationWithQuoteAndBackslash_IsEscapedAsASparkLiteral()
    {
        var sql = SparkKpiEngine.CreateViewSql(@"s3a://bucket/it's\lake/");

        Assert.Contains(@"path 's3a://bucket/it\'s\\lake/'", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void CuratedLocation_Bucket_IsTheS3aCuratedPrefix()
    {
        Assert.Equal("s3a://kpi-lake/curated/order_lines/", SparkKpiEngine.CuratedLocation("kpi-lake"));
    }

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 12)];

    private async Task<LocalObjectStore> WriteLakeAsync(IReadOnlyList<OrderLine> lines, string folder)
    {
        var lake = new LocalObjectStore(Directory.CreateDirectory(Path.Combine(_temp.FullName, folder)).FullName);
        await CuratedLake.WriteAsync(lake, lines);
        return lake;
    }

    private SparkConnectClient CreateClient(DuckDbSparkSession? spark)
    {
        var client = new SparkConnectClient(SparkConnectionString.Parse(server.PlaintextConnectionString));
        if (spark is not null)
            server.ForSession(client.SessionId, spark.HandleAsync);
        return client;
    }
}
