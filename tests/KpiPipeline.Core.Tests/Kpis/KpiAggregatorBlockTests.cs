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

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void Add_JoinedBlock_TakesIdsAndCategoryFromTheJoinsNumbers(int seed)
    {
        var lines = RandomLines.NewestBatchFirst(RandomLines.Create(seed, 5_000)).ToList();
        // The join numbers categories in its own order; the block's category text is not read at all.
        var names = lines.Select(l => l.Category).Distinct().Order(StringComparer.Ordinal).Reverse().ToList();
        var block = new OrderLineBlock(lines.Count);
        foreach (var line in lines)
            block.Add(line with { Category = "not read" });
        var keys = block.UseJoinKeys(names.Select(System.Text.Encoding.UTF8.GetBytes).ToList());
        for (var i = 0; i < lines.Count; i++)
        {
            keys.OrderNumber[i] = Number(lines[i].OrderId);
            keys.UserNumber[i] = Number(lines[i].UserId);
            keys.Category[i] = names.IndexOf(lines[i].Category);
        }
        var fromBlock = new KpiAggregator();

        var added = Enumerable.Range(0, block.Count).Select(i => fromBlock.Add(block, i)).ToList();

        var fromRecords = new KpiAggregator();
        Assert.Equal(lines.Select(fromRecords.Add), added);
        Assert.Equal(fromRecords.Result().Daily, fromBlock.Result().Daily);
        Assert.Equal(fromRecords.Result().Category, fromBlock.Result().Category);
        Assert.Contains(lines, l => Number(l.UserId) == OrderLineBlock.JoinKeys.Text);
    }

    /// <summary>An id as the join gives it: a number when it is one written plainly, else "keyed by its text".</summary>
    private static long Number(string id) =>
        id.Length is > 0 and <= 18 && id.All(char.IsAsciiDigit) && (id.Length == 1 || id[0] != '0') ? long.Parse(id, System.Globalization.CultureInfo.InvariantCulture) : OrderLineBlock.JoinKeys.Text;
}
