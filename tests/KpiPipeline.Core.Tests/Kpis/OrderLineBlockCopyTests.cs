using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KpiPipeline.Curated;
using KpiPipeline.Kpis;

namespace KpiPipeline.Core.Tests.Kpis;

public sealed class OrderLineBlockCopyTests
{
    /// <summary>
    /// Copying runs of lines in bulk (as the curated writer does, into blocks smaller than the runs) keeps every
    /// line as it was, null item ids included.
    /// </summary>
    [Property]
    public Property CopyRows_RunsOfAnyLengthIntoSmallerBlocks_KeepEveryLine()
    {
        return Prop.ForAll(Arb.From(Gen.Choose(1, 10_000)), Arb.From(Gen.Choose(1, 300)), Arb.From(Gen.Choose(1, 50)), (seed, count, capacity) =>
        {
            var random = new Random(seed);
            var lines = RandomLines.Create(seed, count); // a tenth have no item id (a null in the block)
            var source = new OrderLineBlock(lines.Count);
            foreach (var line in lines)
                source.Add(line);

            var copied = new List<(OrderLine Line, string? ItemId)>();
            var target = new OrderLineBlock(capacity);
            for (var start = 0; start < source.Count;)
            {
                var run = Math.Min(1 + random.Next(40), source.Count - start);
                while (run > 0)
                {
                    var n = target.CopyRows(source, start, run);
                    (start, run) = (start + n, run - n);
                    if (target.IsFull)
                        Drain(target, copied);
                }
            }
            Drain(target, copied);

            return copied.SequenceEqual(Read(source));
        });
    }

    private static void Drain(OrderLineBlock block, List<(OrderLine, string?)> into)
    {
        into.AddRange(Read(block));
        block.Clear();
    }

    private static List<(OrderLine, string?)> Read(OrderLineBlock block) =>
        [.. Enumerable.Range(0, block.Count).Select(i => (block.Line(i), block.ItemId.IsNull(i) ? null : System.Text.Encoding.UTF8.GetString(block.ItemId[i])))];
}
