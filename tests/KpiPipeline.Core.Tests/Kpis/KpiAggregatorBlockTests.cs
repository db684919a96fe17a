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

    [Fact]
    public void Add_PricesAndQuantitiesEitherSideOfWhereTheirProductFitsALong_RevenueExact()
    {
        (decimal Price, int Quantity)[] items =
        [
            (8_796_093.02m, 1_000_000),        // just below 2^43 millionths
            (8_796_093.03m, 1_000_000),        // just above
            (0.01m, 1_048_575),                // quantity just below 2^20
            (0.01m, 1_048_576),                // and at it
            (30_000_000.00m, 1_000_000),       // a price below 2^45 millionths whose product still needs 65 bits
            (123_456_789_012.34m, 1_000_000),  // the product needs more than 64 bits
            (0.000001m, 1),
        ];
        var day = new DateOnly(2024, 1, 1);
        var block = new OrderLineBlock(items.Length);
        for (var i = 0; i < items.Length; i++)
            block.Add(new OrderLine(day, "2024-01-01", $"i:{i + 1}", "1", "1", "1", "A", items[i].Price, items[i].Quantity, false));
        var aggregator = new KpiAggregator();

        for (var i = 0; i < block.Count; i++)
            aggregator.Add(block, i);

        var expected = Math.Round(items.Sum(item => item.Price * item.Quantity), 2, MidpointRounding.AwayFromZero);
        Assert.Equal(expected, aggregator.Result().Daily.Single().TotalRevenue);
    }
}
