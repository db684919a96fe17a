using KpiPipeline.Curated;
using KpiPipeline.Kpis;

namespace KpiPipeline.Core.Tests.Curated;

public sealed class OrderLineBlockPoolTests
{
    [Fact]
    public async Task DisposeAsync_Twice_HandsTheWritersBlockBackOnce()
    {
        var writer = new CuratedOrderLines.Writer(new MemoryStream());
        await writer.DisposeAsync();
        await writer.DisposeAsync();

        var first = OrderLineBlockPool.Rent(CuratedOrderLines.RowGroupLines);
        var second = OrderLineBlockPool.Rent(CuratedOrderLines.RowGroupLines);

        Assert.NotSame(first, second);
    }

    [Fact]
    public void Rent_AfterAFilledBlockCameBack_GivesAnEmptyBlock()
    {
        var block = OrderLineBlockPool.Rent(CuratedOrderLines.RowGroupLines);
        block.Add(new OrderLine(new DateOnly(2024, 3, 1), "2024-03-01", "i:1", "1", "2", "3", "A", 9.5m, 1, false));
        OrderLineBlockPool.Return(block);

        var rented = OrderLineBlockPool.Rent(CuratedOrderLines.RowGroupLines);

        Assert.Equal(0, rented.Count);
        Assert.Equal(0, rented.LineKey.Count);
    }

    [Fact]
    public void Rent_OfASizeHandedBackBefore_ReusesThatBlockEmptied()
    {
        // A size no other test uses, so no other test can take the block in between.
        const int Capacity = 4321;
        var block = OrderLineBlockPool.Rent(Capacity);
        block.Add(new OrderLine(new DateOnly(2024, 3, 1), "2024-03-01", "i:1", "1", "2", "3", "A", 9.5m, 1, false));
        OrderLineBlockPool.Return(block);

        var rented = OrderLineBlockPool.Rent(Capacity);
        var other = OrderLineBlockPool.Rent(Capacity);

        Assert.Same(block, rented);
        Assert.Equal(0, rented.Count);
        Assert.NotSame(rented, other);
        Assert.Equal(Capacity, other.Capacity);
    }
}
