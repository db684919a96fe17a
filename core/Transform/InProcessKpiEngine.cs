using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.Transform;

/// <summary>
/// The default engine: streams each date's curated objects through a <see cref="KpiAggregator"/>, newest batch
/// first (so its copy of a duplicated line counts), one date at a time so memory is bounded by one date.
/// </summary>
public sealed class InProcessKpiEngine(IObjectStore store) : IKpiEngine
{
    public string Name => "inprocess";

    public async Task<KpiSnapshot> ComputeAsync(IReadOnlyCollection<DateOnly> dates, CancellationToken cancellationToken)
    {
        var daily = new List<DailyKpi>();
        var categories = new List<CategoryKpi>();
        foreach (var date in dates.Order())
        {
            var aggregator = new KpiAggregator();
            var objects = new List<string>();
            await foreach (var item in store.ListAsync(LakeLayout.CuratedDatePrefix(date), cancellationToken).ConfigureAwait(false))
                objects.Add(item.Key);
            // Keys end in batch=YYYY-MM-DD.csv: descending key order is newest batch first.
            foreach (var key in objects.OrderDescending(StringComparer.Ordinal))
            {
                await foreach (var line in CuratedOrderLines.ReadAsync(store, key, cancellationToken).ConfigureAwait(false))
                    aggregator.Add(line);
            }
            var result = aggregator.Result();
            daily.AddRange(result.Daily);
            categories.AddRange(result.Category);
        }
        return new KpiSnapshot(daily, categories);
    }
}
