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
        // Headers are the column names with spaces for underscores, so a narrow terminal wraps them between words
        // instead of cutting them (an 80-column terminal would show "avg_order_val…").
        var daily = new Table().Title("[bold]DailyKPIs[/]").RoundedBorder()
            .AddColumn(Header("date_key")).AddColumn(new TableColumn(Header("total_orders")).RightAligned())
            .AddColumn(new TableColumn(Header("total_revenue")).RightAligned()).AddColumn(new TableColumn(Header("total_items_sold")).RightAligned())
            .AddColumn(new TableColumn(Header("return_rate")).RightAligned()).AddColumn(new TableColumn(Header("unique_customers")).RightAligned());
        foreach (var row in snapshot.Daily)
        {
            daily.AddRow(LakeLayout.FormatDate(row.Date), N(row.TotalOrders), Money(row.TotalRevenue), N(row.TotalItemsSold),
                Percent(row.ReturnRate), N(row.UniqueCustomers));
        }
        console.Write(daily);
        var categories = new Table().Title("[bold]CategoryKPIs[/]").RoundedBorder()
            .AddColumn(Header("date_key")).AddColumn(Header("category")).AddColumn(new TableColumn(Header("daily_revenue")).RightAligned())
            .AddColumn(new TableColumn(Header("avg_order_value")).RightAligned()).AddColumn(new TableColumn(Header("avg_return_rate")).RightAligned());
        foreach (var row in snapshot.Category)
        {
            categories.AddRow(LakeLayout.FormatDate(row.Date), Markup.Escape(row.Category), Money(row.DailyRevenue), Money(row.AvgOrderValue),
                Percent(row.AvgReturnRate));
        }
        console.Write(categories);
    }

    private static string Header(string column) => column.Replace('_', ' ');

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
