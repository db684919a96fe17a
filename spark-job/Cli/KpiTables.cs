using System.Globalization;
using System.Text.Json;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>KPIs for people (tables) and for programs (JSON).</summary>
internal static class KpiTables
{
    public static void Write(IAnsiConsole console, KpiSnapshot snapshot)
    {
        // Dates and numbers never wrap: to fit a narrow terminal Spectre shrinks the widest wrappable columns below
        // their cells' longest word, so a wrappable number column would print 163,114,901.95 as "163,114,90" / "1.95".
        // A column that does not wrap is as wide as its widest line, header included, so the headers (the column
        // names, spaces for underscores) come broken into lines no wider than the numbers: DailyKPIs with nine-digit
        // revenue and seven-digit counts fits an 80-column terminal.
        var daily = new Table().Title("[bold]DailyKPIs[/]").RoundedBorder()
            .AddColumn(Whole("date key")).AddColumn(Number("total\norders")).AddColumn(Number("total\nrevenue"))
            .AddColumn(Number("total\nitems sold")).AddColumn(Number("return\nrate")).AddColumn(Number("unique\ncustomers"));
        foreach (var row in snapshot.Daily)
        {
            daily.AddRow(LakeLayout.FormatDate(row.Date), N(row.TotalOrders), Money(row.TotalRevenue), N(row.TotalItemsSold),
                Percent(row.ReturnRate), N(row.UniqueCustomers));
        }
        console.Write(daily);
        // The category is the one column that wraps (between words) when the terminal is narrow.
        var categories = new Table().Title("[bold]CategoryKPIs[/]").RoundedBorder()
            .AddColumn(Whole("date key")).AddColumn(new TableColumn("category")).AddColumn(Number("daily\nrevenue"))
            .AddColumn(Number("avg order\nvalue")).AddColumn(Number("avg return\nrate"));
        foreach (var row in snapshot.Category)
        {
            categories.AddRow(LakeLayout.FormatDate(row.Date), Markup.Escape(row.Category), Money(row.DailyRevenue), Money(row.AvgOrderValue),
                Percent(row.AvgReturnRate));
        }
        console.Write(categories);
    }

    private static TableColumn Whole(string header) => new TableColumn(header).NoWrap();

    private static TableColumn Number(string header) => new TableColumn(header).RightAligned().NoWrap();

    public static void WriteJson(Stream output, KpiSnapshot snapshot)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartArray("daily");
        foreach (var row in snapshot.Daily)
        {
            json.WriteStartObject();
            json.WriteString("date_key", LakeLayout.FormatDate(row.Date));
            json.WriteNumber("total_orders", row.TotalOrders);
            json.WriteNumber("total_revenue", Canonical(row.TotalRevenue));
            json.WriteNumber("total_items_sold", row.TotalItemsSold);
            json.WriteNumber("return_rate", Canonical(row.ReturnRate));
            json.WriteNumber("unique_customers", row.UniqueCustomers);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("category");
        foreach (var row in snapshot.Category)
        {
            json.WriteStartObject();
            json.WriteString("category", row.Category);
            json.WriteString("date_key", LakeLayout.FormatDate(row.Date));
            json.WriteNumber("daily_revenue", Canonical(row.DailyRevenue));
            json.WriteNumber("avg_order_value", Canonical(row.AvgOrderValue));
            json.WriteNumber("avg_return_rate", Canonical(row.AvgReturnRate));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
    }

    /// <summary>The same value prints the same whatever the store kept (DynamoDB drops trailing zeros: 41.30 → 41.3).</summary>
    private static decimal Canonical(decimal value) => decimal.Parse(value.ToString("G29", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Money(decimal value) => value.ToString("N2", CultureInfo.InvariantCulture);

    private static string Percent(decimal rate) => (rate * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %";
}
