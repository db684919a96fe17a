using System.Globalization;
using System.Text;
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
        var status = frame.Text("status");
        var returnedAt = frame.Values<DateTime>("returned_at");
        if (status is null && returnedAt is null)
            return Measurement.Nothing("no status or returned_at column");
        var returned = 0;
        for (var row = 0; row < frame.Rows; row++)
        {
            if ((returnedAt is not null && returnedAt.HasValue[row]) || (status is not null && status.HasValue[row] && IsReturned(status.Utf8(row))))
                returned++;
        }
        return frame.Rows == 0 ? Measurement.Nothing("no rows") : new((double)returned / frame.Rows, $"{returned} of {frame.Rows} sampled orders");
    }

    /// <summary>"Returned" in any case: ASCII compared as bytes, anything else as a string (ordinal, ignoring case).</summary>
    private static bool IsReturned(ReadOnlySpan<byte> status) =>
        Ascii.IsValid(status)
            ? Ascii.EqualsIgnoreCase(status, "Returned"u8)
            : Encoding.UTF8.GetString(status).Equals("Returned", StringComparison.OrdinalIgnoreCase);

    private static Measurement CreatedOffWindow(SampleFrame frame)
    {
        var from = frame.Sample.BatchDate.AddDays(-1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var to = frame.Sample.BatchDate.AddDays(2).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var created = frame.Values<DateTime>("created_at");
        var outside = new List<long>();
        DateTime earliest = default, latest = default;
        var count = 0;
        if (created is not null)
        {
            var values = created.Values;
            var has = created.HasValue;
            var lines = frame.Lines;
            for (var row = 0; row < values.Length; row++)
            {
                if (!has[row])
                    continue;
                var value = values[row];
                if (value < from || value >= to)
                    outside.Add(lines[row]);
                if (count++ == 0)
                {
                    (earliest, latest) = (value, value);
                }
                else if (value < earliest)
                {
                    earliest = value;
                }
                else if (value > latest)
                {
                    latest = value;
                }
            }
        }
        var measured = Share(frame, outside, $"created outside {from:yyyy-MM-dd} .. {to.AddDays(-1):yyyy-MM-dd}");
        return count == 0 ? measured
            : measured with { Detail = $"{measured.Detail ?? "none outside"}; created_at from {Iso(earliest)} to {Iso(latest)}" };
    }

    private static Measurement NullRatio(SampleFrame frame, string column) =>
        frame.Sample.Column(column) is not { } values ? Measurement.Nothing($"no {column} column")
        : frame.Rows == 0 ? Measurement.Nothing("no rows")
        : new((double)(frame.Rows - values.ValueCount) / frame.Rows, null);

    private static Measurement ItemsPerOrder(SampleFrame frame)
    {
        if (frame.Rows == 0)
            return Measurement.Nothing("no rows");
        // Counted on the sample's bytes: per row the first row of its order, so an order is named by its first row.
        var orders = frame.Text("order_id")!;
        var first = orders.FirstOccurrences;
        var sizes = new int[first.Length];
        for (var row = 0; row < first.Length; row++)
        {
            if (first[row] >= 0)
                sizes[first[row]]++;
        }
        // The first order (by its first row) of the largest size.
        var largest = 0;
        for (var row = 1; row < sizes.Length; row++)
        {
            if (sizes[row] > sizes[largest])
                largest = row;
        }
        return new((double)frame.Rows / orders.DistinctCount, $"{orders.DistinctCount} orders; the largest, order_id {orders.GetString(largest)}, has {sizes[largest]} items");
    }

    private static Measurement ZeroPriceShare(SampleFrame frame)
    {
        var zero = new List<long>();
        if (frame.Values<decimal>("sale_price") is { } prices)
        {
            var values = prices.Values;
            var has = prices.HasValue;
            var lines = frame.Lines;
            for (var row = 0; row < values.Length; row++)
            {
                if (has[row] && values[row] == 0)
                    zero.Add(lines[row]);
            }
        }
        return Share(frame, zero, "with a zero sale_price");
    }

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
