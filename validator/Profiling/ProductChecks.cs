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
        var groups = frame.Column<string>(column).GroupBy(kv => kv.Value).Where(g => g.Value.KeyCount > 1);
        // Every line after the first of its value is a duplicate.
        var duplicates = groups.Values.SelectMany(g => g.Keys.Skip(1)).Order().ToList();
        var measured = Expectations.Share(frame, duplicates, $"repeating an earlier {column}");
        if (groups.KeyCount == 0)
            return measured;
        var first = groups.Observations.First();
        return measured with { Detail = $"{measured.Detail}; e.g. {column} {first.Key} on lines {string.Join(", ", first.Value.Keys.Take(3))}" };
    }

    private static Measurement CostAboveRetail(SampleFrame frame)
    {
        var pairs = frame.Column<decimal>("cost").ZipInner(frame.Column<decimal>("retail_price"));
        var above = pairs.Where(kv => kv.Value.Item1 > kv.Value.Item2);
        var measured = Expectations.Share(frame, above.Keys.ToList(), "with cost above retail_price");
        if (above.KeyCount == 0)
            return measured;
        var first = above.Observations.First();
        var id = frame.Column<string>("id")[first.Key];
        return measured with { Detail = string.Create(CultureInfo.InvariantCulture, $"{measured.Detail}; e.g. id {id}: cost {first.Value.Item1} > retail_price {first.Value.Item2}") };
    }

    private static Measurement NegativePrice(SampleFrame frame)
    {
        var negative = frame.Column<decimal>("cost").Where(kv => kv.Value < 0).Keys
            .Union(frame.Column<decimal>("retail_price").Where(kv => kv.Value < 0).Keys).Order().ToList();
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
        // Grouped by category, Deedle's level statistics give each category's median and then its median
        // absolute deviation. Statistics in double: they rank prices, they do not add money up.
        var byCategory = frame.Frame.GroupRowsBy<string>("category");
        var prices = byCategory.GetColumn<double>("retail_price").DropMissing();
        var sizes = frame.Column<string>("category").GroupBy(kv => kv.Value).Select(group => group.Value.KeyCount);
        var medians = prices.MedianLevel(k => k.Item1);
        var deviations = prices.Select(kv => Math.Abs(kv.Value - medians[kv.Key.Item1]));
        var mads = deviations.MedianLevel(k => k.Item1);
        var meanDeviations = deviations.MeanLevel(k => k.Item1);
        var outliers = prices
            .Where(kv => sizes[kv.Key.Item1] >= MinCategorySize && Math.Abs(ModifiedZ(kv.Value, medians[kv.Key.Item1], mads[kv.Key.Item1], meanDeviations[kv.Key.Item1])) > OutlierZ)
            .Observations.OrderBy(o => o.Key.Item2).ToList();
        var measured = Expectations.Share(frame, outliers.Select(o => o.Key.Item2).ToList(), "priced far from their category");
        if (outliers.Count == 0)
            return measured;
        var first = outliers[0];
        var id = frame.Column<string>("id")[first.Key.Item2];
        return measured with
        {
            Detail = string.Create(CultureInfo.InvariantCulture,
                $"{measured.Detail}; e.g. id {id} in {first.Key.Item1}: retail_price {frame.Column<decimal>("retail_price")[first.Key.Item2]}, the category's median {medians[first.Key.Item1]:0.##}"),
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
