using System.Globalization;
using Deedle;
using KpiPipeline.Contracts;
using KpiPipeline.Validation;

namespace KpiPipeline.Validator.Profiling;

/// <summary>What an expectation measured on a sample: a value (null when there was nothing to measure) and where to look.</summary>
internal readonly record struct Measurement(double? Value, string? Detail)
{
    public static Measurement Nothing(string why) => new(null, why);
}

/// <summary>One expectation on a dataset's files: an id, what it measures, its default bounds and the measurement.</summary>
internal sealed record Expectation(string Id, Dataset Dataset, string Description, ExpectationBounds Default, Func<SampleFrame, Measurement> Measure);

/// <summary>
/// The catalogue of expectations checked on each inspected file, with their default bounds. Shares are
/// fractions of the sampled rows (0.08 = 8%).
/// </summary>
public static class Expectations
{
    private const int ExamplesShown = 3;

    internal static IReadOnlyList<Expectation> All { get; } =
    [
        new("orders.returned_share", Dataset.Orders,
            "share of orders returned (status Returned, or returned_at set)",
            new(WarnMax: 0.25, RejectMax: 0.6), ReturnedShare),
        new("orders.created_at_off_window", Dataset.Orders,
            "share of orders created outside the batch date ± 1 day (UTC)",
            new(WarnMax: 0, RejectMax: 0.5), CreatedOffWindow),
        new("orders.status_null_ratio", Dataset.Orders,
            "share of orders without a status (the column is optional)",
            new(WarnMax: 0.1), f => NullRatio(f, "status")),
        new("order_items.items_per_order", Dataset.OrderItems,
            "order items per distinct order_id",
            new(WarnMin: 1, WarnMax: 10, RejectMax: 100), ItemsPerOrder),
        new("order_items.zero_price_share", Dataset.OrderItems,
            "share of order items with a sale_price of 0",
            new(WarnMax: 0.01, RejectMax: 0.5), ZeroPriceShare),
        new("order_items.quantity_null_ratio", Dataset.OrderItems,
            "share of order items without a quantity (taken as 1; the column is optional)",
            new(WarnMax: 0.5), f => NullRatio(f, "quantity")),
        .. ProductChecks.All,
    ];

    /// <summary>Every expectation's default bounds, by id.</summary>
    public static IReadOnlyDictionary<string, ExpectationBounds> DefaultBounds { get; } =
        All.ToDictionary(e => e.Id, e => e.Default, StringComparer.Ordinal);

    /// <summary>The expectations of one dataset.</summary>
    internal static IEnumerable<Expectation> Of(Dataset dataset) => All.Where(e => e.Dataset == dataset);

    internal static Measurement Share(SampleFrame frame, IReadOnlyCollection<long> lines, string what) =>
        frame.Rows == 0 ? Measurement.Nothing("no rows") : new((double)lines.Count / frame.Rows, lines.Count == 0 ? null : Lines(lines, what));

    /// <summary>"on lines 4, 9, 17 and 12 more".</summary>
    internal static string Lines(IReadOnlyCollection<long> lines, string what)
    {
        var shown = string.Join(", ", lines.Take(ExamplesShown).Select(l => l.ToString(CultureInfo.InvariantCulture)));
        var more = lines.Count > ExamplesShown ? $" and {lines.Count - ExamplesShown} more" : "";
        return $"{lines.Count} {what}, on lines {shown}{more}";
    }

    private static Measurement ReturnedShare(SampleFrame frame)
    {
        if (!frame.Has("status") && !frame.Has("returned_at"))
            return Measurement.Nothing("no status or returned_at column");
        var returned = new HashSet<long>();
        if (frame.Has("status"))
            returned.UnionWith(frame.Observations<string>("status").Where(kv => kv.Value.Equals("Returned", StringComparison.OrdinalIgnoreCase)).Select(kv => kv.Key));
        if (frame.Has("returned_at"))
            returned.UnionWith(frame.Observations<DateTime>("returned_at").Select(kv => kv.Key));
        return frame.Rows == 0 ? Measurement.Nothing("no rows") : new((double)returned.Count / frame.Rows, $"{returned.Count} of {frame.Rows} sampled orders");
    }

    private static Measurement CreatedOffWindow(SampleFrame frame)
    {
        var from = frame.Sample.BatchDate.AddDays(-1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var to = frame.Sample.BatchDate.AddDays(2).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var created = frame.Observations<DateTime>("created_at").ToList();
        var outside = created.Where(kv => kv.Value < from || kv.Value >= to).Select(kv => kv.Key).ToList();
        var measured = Share(frame, outside, $"created outside {from:yyyy-MM-dd} .. {to.AddDays(-1):yyyy-MM-dd}");
        return created.Count == 0 ? measured
            : measured with { Detail = $"{measured.Detail ?? "none outside"}; created_at from {Iso(created.Min(kv => kv.Value))} to {Iso(created.Max(kv => kv.Value))}" };
    }

    private static Measurement NullRatio(SampleFrame frame, string column) =>
        !frame.Has(column) ? Measurement.Nothing($"no {column} column")
        : frame.Rows == 0 ? Measurement.Nothing("no rows")
        : new((double)(frame.Rows - frame.Frame.GetColumn<object>(column).ValueCount) / frame.Rows, null);

    private static Measurement ItemsPerOrder(SampleFrame frame)
    {
        if (frame.Rows == 0)
            return Measurement.Nothing("no rows");
        // Counted with a dictionary: Deedle's group-by costs tens of milliseconds per 10,000 rows.
        var sizes = frame.Observations<string>("order_id").CountBy(kv => kv.Value, StringComparer.Ordinal).ToList();
        var largest = sizes.MaxBy(o => o.Value);
        return new((double)frame.Rows / sizes.Count, $"{sizes.Count} orders; the largest, order_id {largest.Key}, has {largest.Value} items");
    }

    private static Measurement ZeroPriceShare(SampleFrame frame)
    {
        var zero = frame.Observations<decimal>("sale_price").Where(kv => kv.Value == 0).Select(kv => kv.Key).ToList();
        return Share(frame, zero, "with a zero sale_price");
    }

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
