using System.Globalization;
using KpiPipeline.Kpis;
using KpiPipeline.Stores;
using KpiPipeline.Testing;
using KpiPipeline.Transform;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiPipeline.Core.Tests.Transform;

/// <summary>
/// One run over daily batches with late orders: each batch's late lines fall on the previous batch's date, which
/// the engine kept. Whatever path it takes, the stored KPIs equal a fresh recompute from the curated objects.
/// </summary>
public sealed class KeptDateTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    public async Task RunAsync_DailyBatchesWithLateOrders_EqualAFreshRecompute(int seed, bool redeliverALine)
    {
        using var lake = new TempLake();
        await using var store = await SqliteKpiStore.OpenInLakeAsync(lake.Root, CancellationToken.None);
        var engine = new InProcessKpiEngine(lake.Store);
        var job = new KpiJob(lake.Store, store, engine, TimeProvider.System, NullLogger<KpiJob>.Instance);
        var random = new Random(seed);
        var dates = Enumerable.Range(1, 4).Select(d => new DateOnly(2024, 3, d)).ToList();
        var item = 0;
        var order = 0;
        string? previousItem = null;
        foreach (var day in dates)
        {
            var orders = new List<string>();
            var items = new List<string>();
            for (var o = 0; o < 40; o++)
            {
                // One order in ten was created in the last hour of the day before (a late order).
                var late = day > dates[0] && random.Next(10) == 0;
                var created = (late ? day.AddDays(-1) : day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + (late ? "T23:30:00Z" : $"T{random.Next(23):D2}:00:00Z");
                var id = $"o{++order}";
                orders.Add($"{id},u{random.Next(15)},{created},{(random.Next(8) == 0 ? "Returned" : "Complete")}");
                for (var i = random.Next(1, 4); i > 0; i--)
                    items.Add($"{++item},{id},p{random.Next(3)},{random.Next(100, 9999) / 100m},{1 + random.Next(3)}");
            }
            var lastOfTheDay = items[^1];
            if (redeliverALine && previousItem is not null)
            {
                // A line of the previous day delivered again (another price): this batch's copy counts.
                var fields = previousItem.Split(',');
                orders.Add($"{fields[1]},u1,{day.AddDays(-1):yyyy-MM-dd}T23:45:00Z,Complete");
                items.Add($"{fields[0]},{fields[1]},{fields[2]},1.23,1");
            }
            previousItem = lastOfTheDay;
            var batch = new ValidatedBatch(lake, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                .Products(ShopFiles.Products(("p0", "A"), ("p1", "B"), ("p2", "C, c")))
                .Orders("part.csv", ValidatedBatch.Csv("order_id,user_id,created_at,status", orders))
                .Items("part.csv", ValidatedBatch.Csv("id,order_id,product_id,sale_price,quantity", items));
            await job.RunAsync(await batch.WriteManifestAsync(), null, CancellationToken.None);
        }

        var stored = await store.ReadAsync(null, null, CancellationToken.None);
        var fresh = await new InProcessKpiEngine(lake.Store).ComputeAsync(dates, sink: null, CancellationToken.None);
        Assert.Equal(fresh.Daily, stored.Daily);
        Assert.Equal(fresh.Category, stored.Category);
        // Late orders on three days: the kept state served each one unless a line was delivered again.
        Assert.Equal(redeliverALine ? 0 : 3, engine.DatesFromKeptState);
    }
}
