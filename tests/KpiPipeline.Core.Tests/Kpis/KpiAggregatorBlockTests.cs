using KpiPipeline.Curated;
using KpiPipeline.Kpis;

namespace KpiPipeline.Core.Tests.Kpis;

public sealed class KpiAggregatorBlockTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void Add_BlockOfTypedColumns_GivesTheSameKpisAsRecords(int seed)
    {
        var lines = RandomLines.NewestBatchFirst(RandomLines.Create(seed, 5_000)).ToList();
        var block = new OrderLineBlock(lines.Count);
        foreach (var line in lines)
            block.Add(line);
        var fromBlock = new KpiAggregator();

        var added = Enumerable.Range(0, block.Count).Select(i => fromBlock.Add(block, i)).ToList();

        var fromRecords = new KpiAggregator();
        Assert.Equal(lines.Select(fromRecords.Add), added);
        Assert.Equal(fromRecords.Result().Daily, fromBlock.Result().Daily);
        Assert.Equal(fromRecords.Result().Category, fromBlock.Result().Category);
    }
}
