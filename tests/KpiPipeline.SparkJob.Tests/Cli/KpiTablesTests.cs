using KpiPipeline.Kpis;
using KpiPipeline.SparkJob.Cli;

namespace KpiPipeline.SparkJob.Tests.Cli;

public sealed class KpiTablesTests
{
    private static readonly string[] Columns =
        ["date_key", "total_orders", "total_revenue", "total_items_sold", "return_rate", "unique_customers", "category", "daily_revenue", "avg_order_value", "avg_return_rate"];

    private static readonly DateOnly Date = new(2024, 3, 1);

    [Theory]
    [InlineData(80)]
    [InlineData(100)]
    public void Write_NarrowTerminal_NoHeaderWordIsCut(int width)
    {
        var terminal = new TerminalOutput(width);
        var snapshot = new KpiSnapshot(
            [new DailyKpi(Date, 1_234_567, 123_456.78m, 7_654_321, 0.3077m, 123_456)],
            [new CategoryKpi("Tops, Tees & Shirts", Date, 1_234_567.89m, 12_345.67m, 0.25m)]);

        KpiTables.Write(terminal.Console, snapshot);

        terminal.AssertFitsWidth();
        Assert.DoesNotContain("…", terminal.Text, StringComparison.Ordinal);
        var words = terminal.Text.Split([' ', '│', '\n', '|'], StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        Assert.All(Columns.SelectMany(c => c.Split('_')), word => Assert.Contains(word, words));
        terminal.AssertOnOneLine("123,456.78");
    }

    /// <summary>A day of a large shop: nine-digit revenue and seven-digit counts, in an 80-column terminal.</summary>
    [Fact]
    public void Write_LargeNumbersIn80Columns_FitsWithEveryNumberOnOneLine()
    {
        var terminal = new TerminalOutput(80);
        var snapshot = new KpiSnapshot(
            [
                new DailyKpi(Date, 1_203_117, 163_114_901.95m, 3_900_012, 0.0797m, 8_413_592),
                new DailyKpi(Date.AddDays(1), 9_999_999, 999_999_999.99m, 9_999_999, 1m, 9_999_999),
            ],
            [new CategoryKpi("Jumpsuits & Rompers", Date, 123_456_789.01m, 12_345.67m, 0.2533m)]);

        KpiTables.Write(terminal.Console, snapshot);

        terminal.AssertFitsWidth();
        string[] numbers =
        [
            "1,203,117", "163,114,901.95", "3,900,012", "7.97 %", "8,413,592",
            "9,999,999", "999,999,999.99", "100.00 %",
            "123,456,789.01", "12,345.67", "25.33 %",
        ];
        Assert.All(numbers, terminal.AssertOnOneLine);
        Assert.All(["2024-03-01", "2024-03-02"], terminal.AssertOnOneLine);
    }
}
