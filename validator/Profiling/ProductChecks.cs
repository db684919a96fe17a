using System.Globalization;
using Deedle;
using KpiPipeline.Contracts;

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
        var firstLine = new Dictionary<string, long>(StringComparer.Ordinal);
        var duplicates = new List<long>();
        (string Value, long First, long Line)? example = null;
        foreach (var (line, value) in frame.Observations<string>(column))
        {
            if (firstLine.TryAdd(value, line))
                continue;
            duplicates.Add(line);
            example ??= (value, firstLine[value], line);
        }
        var measured = Expectations.Share(frame, duplicates, $"repeating an earlier {column}");
        return example is { } e ? measured with { Detail = $"{measured.Detail}; e.g. {column} {e.Value} on lines {e.First} and {e.Line}" } : measured;
    }

    private static Measurement CostAboveRetail(SampleFrame frame)
    {
        var retail = frame.Observations<decimal>("retail_price").ToDictionary();
        var above = frame.Observations<decimal>("cost")
            .Where(kv => retail.TryGetValue(kv.Key, out var price) && kv.Value > price)
            .Select(kv => kv.Key).ToList();
        var measured = Expectations.Share(frame, above, "with cost above retail_price");
        if (above.Count == 0)
            return measured;
        var line = above[0];
        return measured with
        {
            Detail = string.Create(CultureInfo.InvariantCulture,
                $"{measured.Detail}; e.g. id {frame.Column<string>("id")[line]}: cost {frame.Column<decimal>("cost")[line]} > retail_price {retail[line]}"),
        };
    }

    private static Measurement NegativePrice(SampleFrame frame)
    {
        var negative = frame.Observations<decimal>("cost").Concat(frame.Observations<decimal>("retail_price"))
            .Where(kv => kv.Value < 0).Select(kv => kv.Key).Distinct().Order().ToList();
        return Expectations.Share(frame, negative, "with a negative price");
    }

    private static Measurement CategoryMissing(SampleFrame frame)
    {
        var categories = frame.Column<string>("category");
        var missing = frame.Frame.RowKeys.Except(categories.Keys).ToList();
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
