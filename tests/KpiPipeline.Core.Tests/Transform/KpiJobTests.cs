using KpiPipeline.Kpis;
using KpiPipeline.Stores;
using KpiPipeline.Testing;
using KpiPipeline.Transform;
using Microsoft.Extensions.Logging.Abstractions;
using static KpiPipeline.Testing.ShopFiles;

namespace KpiPipeline.Core.Tests.Transform;

/// <summary>
/// The KPI job on hand-computed golden cases. Day one (batch 2024-01-01):
/// o1 (u1, Complete): i1 = p1 (A) 10.00 × 2, i2 = p2 (B) 5.50 × 1;
/// o2 (u2): created 2024-01-01T23:30-01:00, i.e. 2024-01-02 UTC: i4 = p2 (B) 7.00 × 3;
/// o3 (u1, Returned): i3 = p1 (A) 3.25 × 1 (quantity empty), i6 = p2 (B) 2.00 × 1.
/// </summary>
public sealed class KpiJobTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2024, 1, 1);
    private static readonly DateOnly Day2 = new(2024, 1, 2);
    private readonly TempLake _lake = new();

    private const string Day1Orders = "order_id,user_id,created_at,status\n"
        + "o1,u1,2024-01-01T10:00:00Z,Complete\n"
        + "o2,u2,2024-01-01T23:30:00-01:00,Shipped\n"
        + "o3,u1,2024-01-01 08:15:00,RETURNED\n";

    private const string Day1Items = "id,order_id,product_id,sale_price,quantity\n"
        + "i1,o1,p1,10.00,2\n"
        + "i2,o1,p2,5.50,1\n"
        + "i3,o3,p1,3.25,\n"
        + "i4,o2,p2,7.00,3\n"
        + "i6,o3,p2,2.00,1\n";

    private async Task<KpiSnapshot> RunAsync(ValidatedBatch batch)
    {
        var manifestKey = await batch.WriteManifestAsync();
        await using var store = await SqliteKpiStore.OpenInLakeAsync(_lake.Root, CancellationToken.None);
        var job = new KpiJob(_lake.Store, store, new InProcessKpiEngine(_lake.Store), TimeProvider.System, NullLogger<KpiJob>.Instance);
        await job.RunAsync(manifestKey, null, CancellationToken.None);
        return await store.ReadAsync(null, null, CancellationToken.None);
    }

    private ValidatedBatch DayOne() => new ValidatedBatch(_lake, "2024-01-01")
        .Products(Products(("p1", "A"), ("p2", "B, with comma")))
        .Orders("part-0.csv", Day1Orders)
        .Items("part-0.csv", Day1Items);

    [Fact]
    public async Task RunAsync_OneBatch_GivesHandComputedDailyKpis()
    {
        var kpis = await RunAsync(DayOne());

        Assert.Equal(
            [
                // Orders o1, o3; revenue 20 + 5.50 + 3.25 + 2 = 30.75; items 2 + 1 + 1 + 1; o3 returned: 1 / 2; customers u1.
                new DailyKpi(Day1, 2, 30.75m, 5, 0.5m, 1),
                // o2 belongs to the UTC date of its created_at.
                new DailyKpi(Day2, 1, 21.00m, 3, 0m, 1),
            ],
            kpis.Daily);
    }

    [Fact]
    public async Task RunAsync_OneBatch_GivesHandComputedCategoryKpis()
    {
        var kpis = await RunAsync(DayOne());

        Assert.Equal(
            [
                // A on day 1: 20 + 3.25 over o1, o3 = 11.625 → 11.63 (half away from zero); o3 returned.
                new CategoryKpi("A", Day1, 23.25m, 11.63m, 0.5m),
                // B on day 1: 5.50 + 2 over o1, o3 = 3.75; o3 is returned as an order, so it counts for B too.
                new CategoryKpi("B, with comma", Day1, 7.50m, 3.75m, 0.5m),
                new CategoryKpi("B, with comma", Day2, 21.00m, 21.00m, 0m),
            ],
            kpis.Category);
    }

    [Fact]
    public async Task RunAsync_InputsPreparedAhead_JoinsTheOrdersReadThenWithoutReadingThemAgain()
    {
        var manifestKey = await DayOne().WriteManifestAsync();
        await using var store = await SqliteKpiStore.OpenInLakeAsync(_lake.Root, CancellationToken.None);
        var job = new KpiJob(_lake.Store, store, new InProcessKpiEngine(_lake.Store), TimeProvider.System, NullLogger<KpiJob>.Instance);
        var prepared = job.PrepareAsync(manifestKey, CancellationToken.None);
        await prepared;
        // Read now, the run would find no order for any line: its orders must be the ones read ahead.
        _lake.Write("validated/orders/2024-01-01/part-0.csv", "order_id,user_id,created_at,status\n");

        await job.RunAsync(manifestKey, null, CancellationToken.None, prepared: prepared);

        var kpis = await store.ReadAsync(null, null, CancellationToken.None);
        Assert.Equal([new DailyKpi(Day1, 2, 30.75m, 5, 0.5m, 1), new DailyKpi(Day2, 1, 21.00m, 3, 0m, 1)], kpis.Daily);
    }

    [Fact]
    public async Task RunAsync_JoinedStep_LinesWrittenButNoCuratedObjectVisibleUntilItReturns()
    {
        var manifestKey = await DayOne().WriteManifestAsync();
        await using var store = await SqliteKpiStore.OpenInLakeAsync(_lake.Root, CancellationToken.None);
        var job = new KpiJob(_lake.Store, store, new InProcessKpiEngine(_lake.Store), TimeProvider.System, NullLogger<KpiJob>.Instance);
        List<string>? curatedAtStep = null;
        var steps = new KpiJobSteps(Joined: _ =>
        {
            curatedAtStep = _lake.Keys().Where(key => key.StartsWith("curated/order_lines/", StringComparison.Ordinal)).ToList();
            return Task.CompletedTask;
        });

        await job.RunAsync(manifestKey, null, CancellationToken.None, steps);

        // Both dates' objects are finished in temporary files, none published.
        Assert.Equal(2, curatedAtStep!.Count);
        Assert.All(curatedAtStep, key => Assert.EndsWith(".partial", key, StringComparison.Ordinal));
        Assert.Equal(2, _lake.Keys().Count(key => key.StartsWith("curated/order_lines/", StringComparison.Ordinal) && key.EndsWith(".parquet", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RunAsync_InputsPreparedForAnotherManifest_RefusedBeforeWritingAnything()
    {
        var dayOne = await DayOne().WriteManifestAsync();
        var dayTwo = await new ValidatedBatch(_lake, "2024-01-02").Orders("part-0.csv", Day1Orders).Items("part-0.csv", Day1Items).WriteManifestAsync();
        await using var store = await SqliteKpiStore.OpenInLakeAsync(_lake.Root, CancellationToken.None);
        var job = new KpiJob(_lake.Store, store, new InProcessKpiEngine(_lake.Store), TimeProvider.System, NullLogger<KpiJob>.Instance);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => job.RunAsync(dayTwo, null, CancellationToken.None, prepared: job.PrepareAsync(dayOne, CancellationToken.None)));

        Assert.Contains(dayOne, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_lake.Keys(), key => key.StartsWith("curated/", StringComparison.Ordinal));
        Assert.Empty((await store.ReadAsync(null, null, CancellationToken.None)).Daily);
    }

    [Fact]
    public async Task RunAsync_SecondBatchWithLateOrderForEarlierDate_RecomputesThatDateFromAllItsLines()
    {
        await RunAsync(DayOne());

        var kpis = await RunAsync(new ValidatedBatch(_lake, "2024-01-02")
            .Orders("part-0.csv", Orders(("o4", "u3", "2024-01-01T12:00:00Z", "Complete")))
            .Items("part-0.csv", Items(("i5", "o4", "p2", "4.50", "1"))));

        // Day 1 now also has o4 (u3): 3 orders, 35.25 revenue, 6 items, 1 of 3 returned, 2 customers.
        Assert.Equal(new DailyKpi(Day1, 3, 35.25m, 6, 0.3333m, 2), kpis.Daily.Single(d => d.Date == Day1));
        Assert.Equal(new CategoryKpi("B, with comma", Day1, 12.00m, 4.00m, 0.3333m), kpis.Category.Single(c => c.Date == Day1 && c.Category != "A"));
        Assert.Equal(new DailyKpi(Day2, 1, 21.00m, 3, 0m, 1), kpis.Daily.Single(d => d.Date == Day2));
    }

    [Fact]
    public async Task RunAsync_SameBatchTwice_ChangesNothing()
    {
        var first = await RunAsync(DayOne());

        // The second run finds the files already archived in processed/ and joins them again.
        var second = await RunAsync(new ValidatedBatch(_lake, "2024-01-01")
            .AlreadyProcessed("orders", "part-0.csv")
            .AlreadyProcessed("order_items", "part-0.csv"));

        Assert.Equal(first.Daily, second.Daily);
        Assert.Equal(first.Category, second.Category);
    }

    [Fact]
    public async Task RunAsync_FileReuploadedInALaterBatch_CountsItsLinesOnce()
    {
        var first = await RunAsync(DayOne());

        var second = await RunAsync(new ValidatedBatch(_lake, "2024-01-02")
            .Orders("copy.csv", Day1Orders)
            .Items("copy.csv", Day1Items));

        Assert.Equal(first.Daily, second.Daily);
        Assert.Equal(first.Category, second.Category);
    }

    [Fact]
    public async Task RunAsync_DuplicatedItems_CountOnceByIdOrByWholeRow()
    {
        var kpis = await RunAsync(new ValidatedBatch(_lake, "2024-01-01")
            .Products(Products(("p1", "A")))
            .Orders("part-0.csv", Orders(("o1", "u1", "2024-01-01", "Complete")))
            .Items("with-ids.csv", Items(("i1", "o1", "p1", "10.00", "1"), ("i1", "o1", "p1", "10.00", "1")))
            .Items("no-ids.csv", "order_id,product_id,price\no1,p1,1.50\no1,p1,1.5\no1,p1,2.00\n"));

        // i1 once (10.00); the id-less rows 1.50 and 1.5 are the same row; 2.00 is another.
        Assert.Equal(new DailyKpi(Day1, 1, 13.50m, 3, 0m, 1), kpis.Daily.Single());
    }

    [Fact]
    public async Task RunAsync_ArchivesValidatedFilesAndWritesCuratedLinesPerDate()
    {
        await RunAsync(DayOne());

        var keys = _lake.Keys();
        Assert.Contains("processed/orders/2024-01-01/part-0.csv", keys);
        Assert.Contains("processed/order_items/2024-01-01/part-0.csv", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("validated/order", StringComparison.Ordinal));
        Assert.Contains("curated/order_lines/date=2024-01-01/batch=2024-01-01/lines.parquet", keys);
        Assert.Contains("curated/order_lines/date=2024-01-02/batch=2024-01-01/lines.parquet", keys);
        Assert.Contains("logs/transformation/2024-01-01/v0001.json", keys);
        Assert.Equal("raw/products/products.csv", Assert.Single(keys, k => k.StartsWith("raw/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RunAsync_RerunAfterAnOrderMovedDate_RemovesTheBatchsLinesFromTheOldDate()
    {
        await RunAsync(DayOne());

        // The shop re-sends day one with o2 corrected to day one: day two must lose o2.
        var kpis = await RunAsync(new ValidatedBatch(_lake, "2024-01-01", version: 2)
            .Orders("part-0.csv", Day1Orders.Replace("2024-01-01T23:30:00-01:00", "2024-01-01T20:00:00Z", StringComparison.Ordinal))
            .AlreadyProcessed("order_items", "part-0.csv"));

        Assert.False(_lake.Exists("curated/order_lines/date=2024-01-02/batch=2024-01-01/lines.parquet"));
        Assert.Equal(new DailyKpi(Day1, 3, 51.75m, 8, 0.3333m, 2), kpis.Daily.Single(d => d.Date == Day1));
        Assert.DoesNotContain(kpis.Daily, d => d.Date == Day2);
        Assert.DoesNotContain(kpis.Category, c => c.Date == Day2);
    }

    [Fact]
    public async Task RunAsync_ItemOfUnknownOrder_FailsNamingFileLineAndColumn()
    {
        var batch = new ValidatedBatch(_lake, "2024-01-01")
            .Products(Products(("p1", "A")))
            .Orders("part-0.csv", Orders(("o1", "u1", "2024-01-01", "")))
            .Items("part-0.csv", Items(("i1", "o9", "p1", "1.00", "1")));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => RunAsync(batch));

        Assert.Contains("validated/order_items/2024-01-01/part-0.csv: line 2, column order_id", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The curated objects the previous version wrote for <see cref="DayOne"/> (CSV, <c>batch=….csv</c>).</summary>
    private void PreviousVersionsCuratedCsvOfDayOne()
    {
        const string Header = "order_date,batch_id,line_key,order_id,user_id,product_id,category,sale_price,quantity,returned\n";
        _lake.Write("curated/order_lines/date=2024-01-01/batch=2024-01-01.csv", Header
            + "2024-01-01,2024-01-01,i:i1,o1,u1,p1,A,10.00,2,0\n"
            + "2024-01-01,2024-01-01,i:i2,o1,u1,p2,\"B, with comma\",5.50,1,0\n"
            + "2024-01-01,2024-01-01,i:i3,o3,u1,p1,A,3.25,1,1\n"
            + "2024-01-01,2024-01-01,i:i6,o3,u1,p2,\"B, with comma\",2.00,1,1\n");
        _lake.Write("curated/order_lines/date=2024-01-02/batch=2024-01-01.csv", Header
            + "2024-01-02,2024-01-01,i:i4,o2,u2,p2,\"B, with comma\",7.00,3,0\n");
        _lake.Write("curated/batch_index/batch=2024-01-01.json", "[\"2024-01-01\",\"2024-01-02\"]");
    }

    [Fact]
    public async Task RunAsync_LakeWithThePreviousVersionsCuratedCsv_CountsItsLinesWhenALateOrderTouchesTheDate()
    {
        PreviousVersionsCuratedCsvOfDayOne();
        DayOne(); // products

        var kpis = await RunAsync(new ValidatedBatch(_lake, "2024-01-02")
            .Orders("part-0.csv", Orders(("o4", "u3", "2024-01-01T12:00:00Z", "Complete")))
            .Items("part-0.csv", Items(("i5", "o4", "p2", "4.50", "1"))));

        // The CSV's four lines of day 1 and the late o4: as when day one ran on this version.
        Assert.Equal(new DailyKpi(Day1, 3, 35.25m, 6, 0.3333m, 2), kpis.Daily.Single(d => d.Date == Day1));
        Assert.Equal(new CategoryKpi("B, with comma", Day1, 12.00m, 4.00m, 0.3333m), kpis.Category.Single(c => c.Date == Day1 && c.Category != "A"));
    }

    [Fact]
    public async Task RunAsync_BatchRunsAgainOverThePreviousVersionsCuratedCsv_ReplacesItWithParquetAndCountsOnce()
    {
        PreviousVersionsCuratedCsvOfDayOne();

        var kpis = await RunAsync(DayOne());

        Assert.DoesNotContain(_lake.Keys(), k => k.EndsWith(".csv", StringComparison.Ordinal) && k.StartsWith("curated/", StringComparison.Ordinal));
        Assert.Equal([new DailyKpi(Day1, 2, 30.75m, 5, 0.5m, 1), new DailyKpi(Day2, 1, 21.00m, 3, 0m, 1)], kpis.Daily);
    }

    public void Dispose() => _lake.Dispose();
}
