using KpiPipeline.Kpis;
using KpiPipeline.SparkJob.Cli;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Tests.Cli;

public sealed class KpiTablesTests
{
    private static readonly string[] Columns =
        ["date_key", "total_orders", "total_revenue", "total_items_sold", "return_rate", "unique_customers", "category", "daily_revenue", "avg_order_value", "avg_return_rate"];

    [Theory]
    [InlineData(80)]
    [InlineData(100)]
    public void Write_NarrowTerminal_NoHeaderWordIsCut(int width)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = width;
        var date = new DateOnly(2024, 3, 1);
        var snapshot = new KpiSnapshot(
            [new DailyKpi(date, 1_234_567, 123_456.78m, 7_654_321, 0.3077m, 123_456)],
            [new CategoryKpi("Tops, Tees & Shirts", date, 1_234_567.89m, 12_345.67m, 0.25m)]);

        KpiTables.Write(console, snapshot);

        var text = output.ToString();
        Assert.All(text.Split('\n'), line => Assert.True(line.TrimEnd().Length <= width, line));
        Assert.DoesNotContain("…", text, StringComparison.Ordinal);
        var words = text.Split([' ', '│', '\n', '|'], StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        Assert.All(Columns.SelectMany(c => c.Split('_')), word => Assert.Contains(word, words));
        Assert.True(text.Contains("123,456.78", StringComparison.Ordinal), text);
    }
}
