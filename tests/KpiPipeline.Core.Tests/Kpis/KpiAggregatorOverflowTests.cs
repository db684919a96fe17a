using KpiPipeline.Kpis;

namespace KpiPipeline.Core.Tests.Kpis;

/// <summary>Sums beyond what a decimal holds are a data error naming the date, never an unexpected crash.</summary>
public sealed class KpiAggregatorOverflowTests
{
    private static readonly DateOnly Date = new(2024, 3, 1);

    private static OrderLine Line(int item, decimal price, int quantity) =>
        new(Date, "2024-03-01", $"i:{item}", $"o{item}", "u1", "p1", "A", price, quantity, Returned: false);

    [Fact]
    public void Add_RevenueOfOneLineOverflows_ThrowsADataErrorNamingTheDate()
    {
        var aggregator = new KpiAggregator();

        var error = Assert.Throws<InvalidDataException>(() => aggregator.Add(Line(1, 1_000_000_000_000_000_000_000m, 1_000_000_000)));

        Assert.StartsWith("The KPIs of 2024-03-01 overflow", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_DaysRevenueSumOverflows_ThrowsADataErrorNamingTheDate()
    {
        var aggregator = new KpiAggregator();

        // Each line fits a decimal; twenty of them do not.
        var error = Assert.Throws<InvalidDataException>(() =>
        {
            for (var i = 0; i < 20; i++)
                aggregator.Add(Line(i, 9e27m, 1));
        });

        Assert.Contains("2024-03-01", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Result_BlockRevenueBeyondADecimal_ThrowsADataErrorNamingTheDate()
    {
        // Every curated price and quantity is in bounds, and the lines are summed exactly; only the day's total
        // (about 2e23 with six decimals) cannot be a decimal.
        var block = new KpiPipeline.Curated.OrderLineBlock(100);
        for (var i = 0; i < 100; i++)
            block.Add(Line(i, 999_999_999_999.999999m, int.MaxValue));
        var aggregator = new KpiAggregator();
        for (var i = 0; i < block.Count; i++)
            aggregator.Add(block, i);

        var error = Assert.Throws<InvalidDataException>(() => aggregator.Result());

        Assert.StartsWith("The KPIs of 2024-03-01 overflow", error.Message, StringComparison.Ordinal);
    }
}
