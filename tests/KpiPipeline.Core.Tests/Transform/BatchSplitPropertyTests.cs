using KpiPipeline.Kpis;
using KpiPipeline.Stores;
using KpiPipeline.Testing;
using KpiPipeline.Transform;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiPipeline.Core.Tests.Transform;

/// <summary>Incremental recomputation is exact: rows split over two batches give the KPIs one batch with the same rows gives.</summary>
public sealed class BatchSplitPropertyTests
{
    [Theory]
    [InlineData(11)]
    [InlineData(22)]
    [InlineData(33)]
    [InlineData(44)]
    [InlineData(55)]
    public async Task RunAsync_RowsSplitOverTwoBatches_EqualOneBatch(int seed)
    {
        var random = new Random(seed);
        var orders = Enumerable.Range(1, 30).Select(o =>
            $"o{o},u{random.Next(8)},2024-01-0{1 + random.Next(3)}T{random.Next(24):D2}:00:00Z,{(random.Next(6) == 0 ? "Returned" : "Complete")}").ToList();
        var items = Enumerable.Range(1, 80).Select(i =>
            $"i{i},o{1 + random.Next(30)},p{random.Next(4)},{random.Next(100, 9999) / 100m},{1 + random.Next(3)}").ToList();

        var whole = await KpisAsync([(orders, items)]);
        // Orders must travel with their items (the validator insists), so split by order.
        var firstOrders = orders.Where((_, i) => random.Next(2) == 0).ToList();
        var firstIds = firstOrders.Select(o => o.Split(',')[0] + ",").ToHashSet();
        var firstItems = items.Where(i => firstIds.Any(id => i.Contains("," + id, StringComparison.Ordinal))).ToList();
        var split = await KpisAsync([(firstOrders, firstItems), (orders.Except(firstOrders).ToList(), items.Except(firstItems).ToList())]);

        Assert.Equal(whole.Daily, split.Daily);
        Assert.Equal(whole.Category, split.Category);
    }

    private static async Task<KpiSnapshot> KpisAsync(IReadOnlyList<(List<string> Orders, List<string> Items)> batches)
    {
        using var lake = new TempLake();
        await using var store = await SqliteKpiStore.OpenInLakeAsync(lake.Root, CancellationToken.None);
        var job = new KpiJob(lake.Store, store, new InProcessKpiEngine(lake.Store), TimeProvider.System, NullLogger<KpiJob>.Instance);
        for (var b = 0; b < batches.Count; b++)
        {
            var batch = new ValidatedBatch(lake, $"2024-02-0{b + 1}")
                .Products(ShopFiles.Products(("p0", "A"), ("p1", "B"), ("p2", "C, c"), ("p3", "A")))
                .Orders("part.csv", ValidatedBatch.Csv("order_id,user_id,created_at,status", batches[b].Orders))
                .Items("part.csv", ValidatedBatch.Csv("id,order_id,product_id,sale_price,quantity", batches[b].Items));
            await job.RunAsync(await batch.WriteManifestAsync(), null, CancellationToken.None);
        }
        return await store.ReadAsync(null, null, CancellationToken.None);
    }
}
