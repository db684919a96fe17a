using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.Transform;

/// <summary>
/// The default engine: streams each date's curated objects through a <see cref="KpiAggregator"/>, newest batch
/// first (so its copy of a duplicated line counts), one date at a time so memory is bounded by one date.
/// While a batch is being joined it aggregates that batch's lines as they are written, and afterwards reads
/// back only the other batches' objects of the same dates.
/// </summary>
public sealed class InProcessKpiEngine(IObjectStore store) : IKpiEngine
{
    public string Name => "inprocess";

    public ILineSink? CreateSink(string batchId) => new BatchLines(batchId);

    public async Task<KpiSnapshot> ComputeAsync(IReadOnlyCollection<DateOnly> dates, ILineSink? sink, CancellationToken cancellationToken)
    {
        var batch = sink as BatchLines;
        var daily = new List<DailyKpi>();
        var categories = new List<CategoryKpi>();
        foreach (var date in dates.Order())
        {
            var keys = new List<string>();
            await foreach (var item in store.ListAsync(LakeLayout.CuratedDatePrefix(date), cancellationToken).ConfigureAwait(false))
                keys.Add(item.Key);
            // Keys end in batch=YYYY-MM-DD.csv: descending key order is newest batch first.
            keys.Sort((a, b) => string.CompareOrdinal(b, a));
            var aggregator = new KpiAggregator();
            if (batch is not null && LakeLayout.TryParseDate(batch.BatchId, out var batchDate))
            {
                // This batch's lines were aggregated while written: use them unless a newer batch must count first.
                var own = LakeLayout.CuratedKey(date, batchDate);
                if (keys.Count == 0 || string.CompareOrdinal(keys[0], own) <= 0)
                {
                    aggregator = batch.TakeAggregator(date);
                    keys.Remove(own);
                }
            }
            foreach (var key in keys)
            {
                await foreach (var line in CuratedOrderLines.ReadAsync(store, key, cancellationToken).ConfigureAwait(false))
                    aggregator.Add(line);
            }
            var result = aggregator.Result();
            daily.AddRange(result.Daily);
            categories.AddRange(result.Category);
        }
        return new KpiSnapshot(daily, categories) { Dates = [.. dates.Distinct()] };
    }

    /// <summary>One aggregator per date the batch writes lines for.</summary>
    private sealed class BatchLines(string batchId) : ILineSink
    {
        private readonly Dictionary<DateOnly, KpiAggregator> _byDate = [];

        public string BatchId => batchId;

        public void Add(OrderLine line)
        {
            if (!_byDate.TryGetValue(line.Date, out var aggregator))
                _byDate.Add(line.Date, aggregator = new KpiAggregator());
            aggregator.Add(line);
        }

        /// <summary>Hands over a date's aggregator (releasing it from the sink, so memory goes as dates finish).</summary>
        public KpiAggregator TakeAggregator(DateOnly date) =>
            _byDate.Remove(date, out var aggregator) ? aggregator : new KpiAggregator();
    }
}
