using System.Collections.Concurrent;

namespace KpiPipeline.Curated;

/// <summary>
/// Blocks of order lines kept for the next batch or date: the join's blocks, the read-back blocks and the curated
/// writers' row-group blocks (about 8 MB each, two per date while one is encoded). A run of many batches reuses
/// them instead of leaving them to the large object heap, whose collection costs a full GC (a 1M-item, 7-batch run
/// did 51 full GCs), and instead of touching fresh pages that the kernel must zero (page faults were 3% of a run).
/// </summary>
internal static class OrderLineBlockPool
{
    /// <summary>Of the join's and read-back sizes, as many as one batch has in use at once (eight in flight and one filling).</summary>
    private const int MaxKeptSmall = 10;

    /// <summary>Of the row-group size, those of two dates' writers: a batch over many dates must not keep 8 MB for each.</summary>
    private const int MaxKeptRowGroups = 4;

    private static readonly ConcurrentDictionary<int, ConcurrentBag<OrderLineBlock>> Kept = new();

    public static OrderLineBlock Rent(int capacity) =>
        Kept.TryGetValue(capacity, out var kept) && kept.TryTake(out var block) ? block : new OrderLineBlock(capacity);

    /// <summary>Hands a block back; the caller must not use it afterwards.</summary>
    public static void Return(OrderLineBlock block)
    {
        var kept = Kept.GetOrAdd(block.Capacity, static _ => []);
        if (kept.Count >= (block.Capacity >= Kpis.CuratedOrderLines.RowGroupLines ? MaxKeptRowGroups : MaxKeptSmall))
            return;
        block.Clear();
        kept.Add(block);
    }
}
