using System.Globalization;
using System.Text;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.Dashboard;

/// <summary>
/// The one page: trends of revenue, orders and return rate, the category breakdown of a chosen day, the
/// week-over-week change and the batch status table. Everything is drawn here; the only script swaps the
/// category chart (fetched from <c>charts/categories</c>) when another day is chosen. Links are relative,
/// so the page works at any base path (an API Gateway stage, say).
/// </summary>
internal static class DashboardPage
{
    public sealed record Model(
        DateOnly From,
        DateOnly To,
        DateOnly Day,
        IReadOnlyList<DailyKpi> Daily,
        IReadOnlyList<CategoryKpi> Categories,
        WeekOverWeekChange Week,
        IReadOnlyList<BatchStatus> Batches);

    public static string Render(Model model)
    {
        var html = new StringBuilder();
        var from = LakeLayout.FormatDate(model.From);
        var to = LakeLayout.FormatDate(model.To);
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>KPI dashboard {{from}} to {{to}}</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,">
            <style>
            body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
            h1{font-size:1.4rem}h2{font-size:1.1rem;margin:0 0 .5rem}
            .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(660px,1fr));gap:1rem}
            section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8rem}
            svg text{font-size:11px;fill:#444}table{border-collapse:collapse;font-size:.9rem}
            td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}
            .up{color:#1a7f37}.down{color:#cf222e}.state-rejected{color:#cf222e}.state-succeeded{color:#1a7f37}
            </style></head><body>
            <h1>E-commerce KPIs</h1>
            <form method="get" action="."><label>From <input type="date" name="from" value="{{from}}"></label>
            <label>to <input type="date" name="to" value="{{to}}"></label> <button type="submit">Show</button></form>
            <div class="grid">
            """);
        Section(html, "Revenue", SvgCharts.Line("revenue-chart", "Daily revenue", Points(model.Daily, d => d.TotalRevenue), SvgCharts.Money, "#4e79a7"));
        Section(html, "Orders", SvgCharts.Line("orders-chart", "Daily orders", Points(model.Daily, d => d.TotalOrders), SvgCharts.Count, "#f28e2b"));
        Section(html, "Return rate", SvgCharts.Line("return-rate-chart", "Daily return rate", Points(model.Daily, d => d.ReturnRate), SvgCharts.Percent, "#e15759"));
        html.Append("<section id=\"categories-section\"><h2>Category breakdown</h2><label>Day <select id=\"day\">");
        foreach (var day in model.Daily.Select(d => d.Date).Append(model.Day).Distinct().Order())
        {
            var text = LakeLayout.FormatDate(day);
            html.Append(CultureInfo.InvariantCulture, $"<option value=\"{text}\"{(day == model.Day ? " selected" : "")}>{text}</option>");
        }
        html.Append("</select></label><div id=\"categories\">").Append(SvgCharts.CategoryBars(model.Day, model.Categories)).Append("</div></section>");
        WeekSection(html, model.Week);
        html.Append("</div>");
        BatchSection(html, model.Batches);
        html.Append("""
            <script>
            const day = document.getElementById('day');
            async function showDay(value) {
              const response = await fetch('charts/categories?date=' + encodeURIComponent(value));
              if (response.ok) document.getElementById('categories').innerHTML = await response.text();
            }
            day.addEventListener('change', () => showDay(day.value));
            document.querySelectorAll('#revenue-chart .point').forEach(point => point.addEventListener('click', () => {
              day.value = point.dataset.date; showDay(day.value);
            }));
            </script>
            </body></html>
            """);
        return html.ToString();
    }

    private static List<(DateOnly, decimal)> Points(IReadOnlyList<DailyKpi> daily, Func<DailyKpi, decimal> value) =>
        daily.Select(d => (d.Date, value(d))).ToList();

    private static void Section(StringBuilder html, string title, string svg) =>
        html.Append("<section><h2>").Append(SvgCharts.Escape(title)).Append("</h2>").Append(svg).Append("</section>");

    private static void WeekSection(StringBuilder html, WeekOverWeekChange week)
    {
        html.Append(CultureInfo.InvariantCulture,
            $"<section><h2>Week over week</h2><p>{LakeLayout.FormatDate(week.To.AddDays(-6))} to {LakeLayout.FormatDate(week.To)} against the seven days before</p>");
        html.Append("<table id=\"week-over-week\"><tr><th>metric</th><th>this week</th><th>previous week</th><th>change</th></tr>");
        foreach (var metric in week.Metrics)
        {
            Func<decimal, string> format = metric.Name switch
            {
                "total_revenue" => SvgCharts.Money,
                "return_rate" => SvgCharts.Percent,
                _ => SvgCharts.Count,
            };
            var change = metric.Change is { } c
                ? $"<td class=\"{(c >= 0 ? "up" : "down")}\">{(c >= 0 ? "+" : "")}{SvgCharts.Percent(c)}</td>"
                : "<td>n/a</td>";
            html.Append(CultureInfo.InvariantCulture,
                $"<tr data-metric=\"{metric.Name}\"><td>{metric.Name}</td><td>{format(metric.ThisWeek)}</td><td>{format(metric.PreviousWeek)}</td>{change}</tr>");
        }
        html.Append("</table></section>");
    }

    private static void BatchSection(StringBuilder html, IReadOnlyList<BatchStatus> batches)
    {
        html.Append("<section style=\"margin-top:1rem\"><h2>Batches and validation</h2><table id=\"batches\">");
        html.Append("<tr><th>batch</th><th>version</th><th>state</th><th>manifest written</th><th>validated</th><th>KPI job</th><th>report</th></tr>");
        foreach (var batch in batches)
        {
            var state = batch.State.ToString().ToLowerInvariant();
            var reason = batch.RejectionReason is null ? "" : $" title=\"{SvgCharts.Escape(batch.RejectionReason)}\"";
            var report = batch.ValidationReportKey is null ? "" : $"<a href=\"{DashboardJson.ValidationPath(batch.BatchId, batch.Version)}\">validation</a>";
            html.Append(CultureInfo.InvariantCulture,
                $"<tr data-batch=\"{batch.BatchId}\"><td>{batch.BatchId}</td><td>{batch.Version}</td><td class=\"state-{state}\"{reason}>{state}</td><td>{Time(batch.CreatedAt)}</td><td>{Time(batch.ValidatedAt)}</td><td>{(batch.TransformMilliseconds is { } ms ? $"{ms:N0} ms" : "")}</td><td>{report}</td></tr>");
        }
        html.Append("</table></section>");
    }

    private static string Time(DateTimeOffset? at) =>
        at is { } value ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "";
}
