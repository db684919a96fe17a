using System.Threading.Channels;
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
/// <remarks>
/// Across the batches of one run it keeps the state of the last batch's own date: the next batch's late orders
/// fall on that date, and when none of its lines is already there (no duplicate to resolve, so the order of
/// counting does not matter) the kept state takes them instead of reading the whole date back.
/// </remarks>
public sealed class InProcessKpiEngine(IObjectStore store) : IKpiEngine
{
    private KeptDate? _kept;

    public string Name => "inprocess";

    /// <summary>How many dates were recomputed from the state kept from the previous batch instead of read back.</summary>
    public int DatesFromKeptState { get; private set; }

    public ILineSink? CreateSink(string batchId) => new BatchLines(batchId);

    public async Task<KpiSnapshot> ComputeAsync(IReadOnlyCollection<DateOnly> dates, ILineSink? sink, CancellationToken cancellationToken)
    {
        var batch = sink as BatchLines;
        // Whatever happens below, the kept state is only ever used once.
        var kept = _kept;
        _kept = null;
        KeptDate? keep = null;
        var daily = new List<DailyKpi>();
        var categories = new List<CategoryKpi>();
        try
        {
            foreach (var date in dates.Order())
            {
                var objects = await CuratedObjectsAsync(date, cancellationToken).ConfigureAwait(false);
                var keys = objects.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
                // This batch's lines were aggregated while written: use them unless a newer batch must count first.
                var first = batch is not null && (objects.Count == 0 || string.CompareOrdinal(objects[0].BatchId, batch.BatchId) <= 0) ? batch : null;
                KpiAggregator? aggregator = first?.TakeAggregator(date) ?? new KpiAggregator();
                try
                {
                    if (first is not null)
                    {
                        objects.RemoveAll(o => o.BatchId == first.BatchId);
                        // The other batches' lines are those the kept state counted: it takes this batch's, if none is a duplicate.
                        if (kept is not null && kept.Date == date && kept.Keys.SetEquals(objects.Select(o => o.Key)) && !kept.State.SharesLinesWith(aggregator))
                        {
                            kept.State.Absorb(aggregator);
                            aggregator.Dispose();
                            (aggregator, kept) = (kept.State, null);
                            objects.Clear();
                            DatesFromKeptState++;
                        }
                    }
                    // Other batches' lines of the date: typed columns straight into the aggregator, no record or string per
                    // line; the next blocks are decoded on another thread while the aggregator takes the current one.
                    await AggregateAsync(objects, aggregator, cancellationToken).ConfigureAwait(false);
                    var result = aggregator.Result();
                    daily.AddRange(result.Daily);
                    categories.AddRange(result.Category);
                    // Only the batch's own date is kept: the next batch's late orders fall on it.
                    if (batch is not null && LakeLayout.TryParseDate(batch.BatchId, out var batchDate) && batchDate == date)
                        (keep, aggregator) = (new KeptDate(date, keys, aggregator), null);
                }
                finally
                {
                    aggregator?.Dispose();
                }
            }
            (_kept, keep) = (keep, null);
        }
        finally
        {
            kept?.State.Dispose();
            keep?.State.Dispose();
            batch?.Dispose();
        }
        return new KpiSnapshot(daily, categories) { Dates = [.. dates.Distinct()] };
    }

    /// <summary>Lines per block read back: small enough that the blocks in flight cost little memory.</summary>
    private const int ReadBackLines = 1 << 15;

    private const int ReadBackBlocks = 3;

    /// <summary>Feeds the objects' lines, in order, to the aggregator while a reader decodes the next blocks.</summary>
    private async Task AggregateAsync(List<(string BatchId, string Key)> objects, KpiAggregator aggregator, CancellationToken cancellationToken)
    {
        if (objects.Count == 0)
            return;
        var filled = Channel.CreateBounded<OrderLineBlock>(new BoundedChannelOptions(ReadBackBlocks - 1) { SingleReader = true, SingleWriter = true });
        var free = Channel.CreateUnbounded<OrderLineBlock>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        for (var i = 0; i < ReadBackBlocks; i++)
            free.Writer.TryWrite(OrderLineBlockPool.Rent(ReadBackLines));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = Task.Run(async () =>
        {
            try
            {
                foreach (var curated in objects)
                {
                    await using var lines = await CuratedOrderLines.OpenBlocksAsync(store, curated.Key, kpiColumnsOnly: true, stop.Token).ConfigureAwait(false);
                    while (true)
                    {
                        var block = await free.Reader.ReadAsync(stop.Token).ConfigureAwait(false);
                        if (!await lines.ReadNextAsync(block, stop.Token).ConfigureAwait(false))
                        {
                            free.Writer.TryWrite(block);
                            break;
                        }
                        await filled.Writer.WriteAsync(block, stop.Token).ConfigureAwait(false);
                    }
                }
                filled.Writer.TryComplete();
            }
            catch (Exception e)
            {
                filled.Writer.TryComplete(e);
            }
        }, stop.Token);
        try
        {
            await foreach (var block in filled.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                for (var i = 0; i < block.Count; i++)
                    aggregator.Add(block, i);
                free.Writer.TryWrite(block);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // With the reader stopped, the blocks handed back are nobody's: the next date takes them.
            while (free.Reader.TryRead(out var block))
                OrderLineBlockPool.Return(block);
        }
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

    /// <summary>A date's complete state after a batch, and the curated objects it was counted from.</summary>
    private sealed record KeptDate(DateOnly Date, HashSet<string> Keys, KpiAggregator State);

    /// <summary>One aggregator per date the batch writes lines for.</summary>
    private sealed class BatchLines(string batchId) : IBlockLineSink, IDisposable
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

        /// <summary>Disposes the aggregators of dates nobody took.</summary>
        public void Dispose()
        {
            foreach (var aggregator in _byDate.Values)
                aggregator.Dispose();
            _byDate.Clear();
            _last = null;
        }

        /// <summary>Hands over a date's aggregator (releasing it from the sink, so memory goes as dates finish).</summary>
        public KpiAggregator TakeAggregator(DateOnly date)
        {
            _last = null;
            return _byDate.Remove(date, out var aggregator) ? aggregator : new KpiAggregator();
        }
    }
}
