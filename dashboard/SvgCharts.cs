using System.Globalization;
using System.Net;
using System.Text;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.Dashboard;

/// <summary>
/// Charts drawn on the server as inline SVG: no script library and no CDN at run time. Each data point is an
/// element with its date and value as attributes, so a reader (or a test) can tell what was drawn.
/// </summary>
public static class SvgCharts
{
    private const int Width = 640;
    private const int Height = 200;
    private const int Left = 70;
    private const int Right = 16;
    private const int Top = 16;
    private const int Bottom = 28;

    /// <summary>A line with one point per day; <paramref name="format"/> prints the axis labels and tooltips.</summary>
    public static string Line(string id, string title, IReadOnlyList<(DateOnly Date, decimal Value)> points, Func<decimal, string> format, string colour)
    {
        var svg = new StringBuilder();
        Open(svg, id, title, Height);
        if (points.Count == 0)
            return Empty(svg);
        var max = points.Max(p => p.Value);
        var min = Math.Min(0m, points.Min(p => p.Value));
        var span = max == min ? 1m : max - min;
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double X(int i) => Left + (points.Count == 1 ? plotWidth / 2.0 : i * (double)plotWidth / (points.Count - 1));
        double Y(decimal v) => Top + (double)((max - v) / span) * plotHeight;
        Axis(svg, format(max), format(min), LakeLayout.FormatDate(points[0].Date), LakeLayout.FormatDate(points[^1].Date));
        svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"line\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"");
        for (var i = 0; i < points.Count; i++)
            svg.Append(CultureInfo.InvariantCulture, $"{X(i):0.#},{Y(points[i].Value):0.#} ");
        svg.Append("\"/>");
        for (var i = 0; i < points.Count; i++)
        {
            var (date, value) = points[i];
            var day = LakeLayout.FormatDate(date);
            svg.Append(CultureInfo.InvariantCulture,
                $"<circle class=\"point\" data-date=\"{day}\" data-value=\"{value.ToString(CultureInfo.InvariantCulture)}\" cx=\"{X(i):0.#}\" cy=\"{Y(value):0.#}\" r=\"4\" fill=\"{colour}\"><title>{day}: {Escape(format(value))}</title></circle>");
        }
        return svg.Append("</svg>").ToString();
    }

    /// <summary>Horizontal bars: the day's categories by revenue.</summary>
    public static string CategoryBars(DateOnly date, IReadOnlyList<CategoryKpi> rows)
    {
        var day = LakeLayout.FormatDate(date);
        const int barHeight = 22;
        var height = Math.Max(60, Top + (rows.Count * barHeight) + 8);
        var svg = new StringBuilder();
        Open(svg, "category-chart", $"Revenue by category on {day}", height, $" data-date=\"{day}\"");
        if (rows.Count == 0)
            return Empty(svg);
        const int labelWidth = 180;
        var max = Math.Max(rows.Max(r => r.DailyRevenue), 0.01m);
        var plotWidth = Width - labelWidth - 110;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var y = Top + (i * barHeight);
            var width = (double)(Math.Max(row.DailyRevenue, 0m) / max) * plotWidth;
            var name = Escape(row.Category);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth - 6}\" y=\"{y + 15}\" text-anchor=\"end\">{name}</text>");
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect class=\"bar\" data-category=\"{name}\" data-value=\"{row.DailyRevenue.ToString(CultureInfo.InvariantCulture)}\" x=\"{labelWidth}\" y=\"{y + 3}\" width=\"{width:0.#}\" height=\"{barHeight - 6}\" fill=\"#4e79a7\"><title>{name}: {Money(row.DailyRevenue)}</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth + width + 6:0.#}\" y=\"{y + 15}\">{Money(row.DailyRevenue)}</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    public static string Money(decimal value) => value.ToString("N2", CultureInfo.InvariantCulture);

    public static string Count(decimal value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Percent(decimal rate) => (rate * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %";

    private static void Open(StringBuilder svg, string id, string title, int height, string attributes = "") =>
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {height}\" width=\"{Width}\" height=\"{height}\" role=\"img\" aria-label=\"{Escape(title)}\"{attributes}><title>{Escape(title)}</title>");

    private static string Empty(StringBuilder svg) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"empty\" x=\"{Width / 2}\" y=\"40\" text-anchor=\"middle\">no KPIs stored for these dates</text></svg>").ToString();

    private static void Axis(StringBuilder svg, string maxLabel, string minLabel, string firstDate, string lastDate)
    {
        var bottom = Height - Bottom;
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{bottom}\" stroke=\"#999\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{bottom}\" x2=\"{Width - Right}\" y2=\"{bottom}\" stroke=\"#999\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Top + 4}\" text-anchor=\"end\">{Escape(maxLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{bottom}\" text-anchor=\"end\">{Escape(minLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{Height - 8}\">{firstDate}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right}\" y=\"{Height - 8}\" text-anchor=\"end\">{lastDate}</text>");
    }

    internal static string Escape(string text) => WebUtility.HtmlEncode(text);
}
