using System.Globalization;
using Deedle;
using KpiPipeline.Contracts;
using KpiPipeline.Validation;

namespace KpiPipeline.Validator.Profiling;

/// <summary>
/// Checks of the products master data as one frame: keys unique, prices sane, every product in a category, and
/// prices that stand out within their category (a robust z-score on the median and the median absolute deviation).
/// </summary>
internal static class ProductChecks
{
    /// <summary>|z| above this is an outlier (Iglewicz and Hoaglin's cut-off for the modified z-score).</summary>
    private const double OutlierZ = 3.5;

    /// <summary>A category with fewer products has no meaningful median.</summary>
    private const int MinCategorySize = 5;

    public static IReadOnlyList<Expectation> All { get; } =
    [
        new("products.duplicate_id", Dataset.Products, "share of products whose id an earlier product has",
            new(RejectMax: 0), f => Duplicates(f, "id")),
        new("products.duplicate_sku", Dataset.Products, "share of products whose sku an earlier product has",
            new(WarnMax: 0, RejectMax: 0.01), f => Duplicates(f, "sku")),
        new("products.cost_above_retail", Dataset.Products, "share of products whose cost is above their retail_price",
            new(WarnMax: 0, RejectMax: 0.05), CostAboveRetail),
        new("products.negative_price", Dataset.Products, "share of products with a negative cost or retail_price",
            new(RejectMax: 0), NegativePrice),
        new("products.category_missing", Dataset.Products, "share of products without a category",
            new(RejectMax: 0), CategoryMissing),
        new("products.price_outliers", Dataset.Products,
            $"share of products whose retail_price is an outlier in its category (robust z-score above {OutlierZ})",
            new(WarnMax: 0), PriceOutliers),
    ];

    private static Measurement Duplicates(SampleFrame frame, string column)
    {
        var duplicates = new List<long>();
        (string? Value, long First, long Line)? example = null;
        if (frame.Text(column) is { } values)
        {
            var first = values.FirstOccurrences;
            var lines = frame.Lines;
            for (var row = 0; row < first.Length; row++)
            {
                if (first[row] < 0 || first[row] == row)
                    continue;
                duplicates.Add(lines[row]);
                example ??= (values.GetString(row), lines[first[row]], lines[row]);
            }
        }
        var measured = Expectations.Share(frame, duplicates, $"repeating an earlier {column}");
        return example is { } e ? measured with { Detail = $"{measured.Detail}; e.g. {column} {e.Value} on lines {e.First} and {e.Line}" } : measured;
    }

    private static Measurement CostAboveRetail(SampleFrame frame)
    {
        var above = new List<long>();
        var firstRow = -1;
        if (frame.Values<decimal>("cost") is { } cost && frame.Values<decimal>("retail_price") is { } retail)
        {
            var lines = frame.Lines;
            for (var row = 0; row < frame.Rows; row++)
            {
                if (cost.HasValue[row] && retail.HasValue[row] && cost.Values[row] > retail.Values[row])
                {
                    above.Add(lines[row]);
                    if (firstRow < 0)
                        firstRow = row;
                }
            }
        }
        var measured = Expectations.Share(frame, above, "with cost above retail_price");
        if (above.Count == 0)
            return measured;
        return measured with
        {
            Detail = string.Create(CultureInfo.InvariantCulture,
                $"{measured.Detail}; e.g. id {frame.Text("id")?.GetString(firstRow)}: cost {frame.Values<decimal>("cost")!.Values[firstRow]} > retail_price {frame.Values<decimal>("retail_price")!.Values[firstRow]}"),
        };
    }

    private static Measurement NegativePrice(SampleFrame frame)
    {
        var cost = frame.Values<decimal>("cost");
        var retail = frame.Values<decimal>("retail_price");
        var negative = new List<long>();
        var lines = frame.Lines;
        for (var row = 0; row < frame.Rows; row++)
        {
            if (IsNegative(cost, row) || IsNegative(retail, row))
                negative.Add(lines[row]);
        }
        return Expectations.Share(frame, negative, "with a negative price");
    }

    private static bool IsNegative(ValueColumn<decimal>? prices, int row) => prices is not null && prices.HasValue[row] && prices.Values[row] < 0;

    private static Measurement CategoryMissing(SampleFrame frame)
    {
        var categories = frame.Text("category");
        var missing = new List<long>();
        var lines = frame.Lines;
        for (var row = 0; row < frame.Rows; row++)
        {
            if (categories is null || !categories.HasValue[row])
                missing.Add(lines[row]);
        }
        return Expectations.Share(frame, missing, "without a category");
    }

    private static Measurement PriceOutliers(SampleFrame frame)
    {
        var categories = frame.Observations<string>("category").ToDictionary();
        var outliers = new List<(long Line, string Category, double Median)>();
        // One Deedle series of prices per category; its median and then the median of the absolute deviations.
        // Statistics in double: they rank prices, they do not add money up.
        var byCategory = frame.Observations<decimal>("retail_price")
            .Where(kv => categories.ContainsKey(kv.Key))
            .GroupBy(kv => categories[kv.Key], StringComparer.Ordinal);
        foreach (var category in byCategory)
        {
            var prices = new Series<long, double>(category.Select(kv => kv.Key), category.Select(kv => (double)kv.Value));
            if (prices.ValueCount < MinCategorySize)
                continue;
            var median = Stats.median(prices);
            var deviations = prices.Select(kv => Math.Abs(kv.Value - median));
            var mad = Stats.median(deviations);
            var meanDeviation = Stats.mean(deviations);
            outliers.AddRange(prices.Observations
                .Where(kv => Math.Abs(ModifiedZ(kv.Value, median, mad, meanDeviation)) > OutlierZ)
                .Select(kv => (kv.Key, category.Key, median)));
        }
        outliers.Sort((a, b) => a.Line.CompareTo(b.Line));
        var measured = Expectations.Share(frame, outliers.ConvertAll(o => o.Line), "priced far from their category");
        if (outliers.Count == 0)
            return measured;
        var (line, name, categoryMedian) = outliers[0];
        return measured with
        {
            Detail = string.Create(CultureInfo.InvariantCulture,
                $"{measured.Detail}; e.g. id {frame.Column<string>("id")[line]} in {name}: retail_price {frame.Column<decimal>("retail_price")[line]}, the category's median {categoryMedian:0.##}"),
        };
    }

    /// <summary>
    /// 0.6745 (x − median) / MAD; when more than half the prices are equal the MAD is 0, and the mean absolute
    /// deviation (× 1.2533 to be on the same scale) stands in for it.
    /// </summary>
    private static double ModifiedZ(double price, double median, double mad, double meanDeviation) =>
        mad > 0 ? 0.6745 * (price - median) / mad
        : meanDeviation > 0 ? (price - median) / (1.253314 * meanDeviation)
        : 0;
}
