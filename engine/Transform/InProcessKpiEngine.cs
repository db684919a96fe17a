using KpiPipeline.Curated;
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
        OrderLineBlock? block = null;
        foreach (var date in dates.Order())
        {
            var objects = await CuratedObjectsAsync(date, cancellationToken).ConfigureAwait(false);
            var aggregator = new KpiAggregator();
            // This batch's lines were aggregated while written: use them unless a newer batch must count first.
            if (batch is not null && (objects.Count == 0 || string.CompareOrdinal(objects[0].BatchId, batch.BatchId) <= 0))
            {
                aggregator = batch.TakeAggregator(date);
                objects.RemoveAll(o => o.BatchId == batch.BatchId);
            }
            // Other batches' lines of the date: typed columns straight into the aggregator, no record or string per line.
            block ??= new OrderLineBlock(CuratedOrderLines.RowGroupLines);
            foreach (var curated in objects)
            {
                await foreach (var filled in CuratedOrderLines.ReadBlocksAsync(store, curated.Key, block, cancellationToken, kpiColumnsOnly: true).ConfigureAwait(false))
                {
                    for (var i = 0; i < filled.Count; i++)
                        aggregator.Add(filled, i);
                }
            }
            var result = aggregator.Result();
            daily.AddRange(result.Daily);
            categories.AddRange(result.Category);
        }
        return new KpiSnapshot(daily, categories) { Dates = [.. dates.Distinct()] };
    }

    /// <summary>
    /// The curated objects of a date, newest batch first. Of one batch only its Parquet object counts when the
    /// previous version's CSV object is still there (the batch ran again).
    /// </summary>
    private async Task<List<(string BatchId, string Key)>> CuratedObjectsAsync(DateOnly date, CancellationToken cancellationToken)
    {
        var byBatch = new SortedDictionary<string, (string Key, bool Legacy)>(StringComparer.Ordinal);
        await foreach (var item in store.ListAsync(LakeLayout.CuratedDatePrefix(date), cancellationToken).ConfigureAwait(false))
        {
            if (!LakeLayout.TryParseCuratedKey(item.Key, out _, out var batchId, out var legacy))
                continue;
            if (!byBatch.TryGetValue(batchId, out var known) || (known.Legacy && !legacy))
                byBatch[batchId] = (item.Key, legacy);
        }
        return byBatch.Reverse().Select(b => (b.Key, b.Value.Key)).ToList();
    }

    /// <summary>One aggregator per date the batch writes lines for.</summary>
    private sealed class BatchLines(string batchId) : IBlockLineSink
    {
        private readonly Dictionary<DateOnly, KpiAggregator> _byDate = [];
        private int _lastDay = int.MinValue;
        private KpiAggregator? _last;

        public string BatchId => batchId;

        public void Add(OrderLine line)
        {
            if (!_byDate.TryGetValue(line.Date, out var aggregator))
                _byDate.Add(line.Date, aggregator = new KpiAggregator());
            aggregator.Add(line);
        }

        public void Add(OrderLineBlock block, int index)
        {
            var day = block.Dates[index];
            if (_last is null || day != _lastDay)
            {
                var date = CuratedValues.FromEpochDay(day);
                if (!_byDate.TryGetValue(date, out _last))
                    _byDate.Add(date, _last = new KpiAggregator());
                _lastDay = day;
            }
            _last.Add(block, index);
        }

        /// <summary>Hands over a date's aggregator (releasing it from the sink, so memory goes as dates finish).</summary>
        public KpiAggregator TakeAggregator(DateOnly date)
        {
            _last = null;
            return _byDate.Remove(date, out var aggregator) ? aggregator : new KpiAggregator();
        }
    }
}
