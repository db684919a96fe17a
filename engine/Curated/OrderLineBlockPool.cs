using System.Collections.Concurrent;
using KpiPipeline.Kpis;

namespace KpiPipeline.Curated;

/// <summary>
/// Blocks of a row group's size (<see cref="CuratedOrderLines.RowGroupLines"/>) for the curated writers. Such a
/// block is about 8 MB of large arrays and a batch's writer holds up to two per date (one filling, one being
/// encoded): a run of many batches reuses
/// them instead of leaving them to the large object heap, whose collection costs a full GC (a 1M-item, 7-batch
/// run did 51 full GCs).
/// </summary>
internal static class OrderLineBlockPool
{
    private const int MaxKept = 4;

    private static readonly ConcurrentBag<OrderLineBlock> Kept = [];

    public static OrderLineBlock Rent(int capacity) =>
        capacity == CuratedOrderLines.RowGroupLines && Kept.TryTake(out var block) ? block : new OrderLineBlock(capacity);

    /// <summary>Hands a block back; the caller must not use it afterwards.</summary>
    public static void Return(OrderLineBlock block)
    {
        if (block.Capacity != CuratedOrderLines.RowGroupLines || Kept.Count >= MaxKept)
            return;
        block.Clear();
        Kept.Add(block);
    }
}
