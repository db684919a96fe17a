using KpiPipeline.Contracts;
using KpiPipeline.Lake;

namespace KpiPipeline.Batching;

public enum RouteKind
{
    /// <summary><c>raw/products/products.csv</c>: master data every batch needs.</summary>
    Products,

    /// <summary>An orders or order_items file of a daily batch.</summary>
    DailyFile,

    /// <summary><c>raw/batches/YYYY-MM-DD/_manifest.json</c>: the shop's list of the batch's part files.</summary>
    ExpectedFiles,

    Ignored,
}

/// <param name="Undated">The file sat directly under <c>raw/orders/</c> or <c>raw/order_items/</c> and was given the upload's UTC date.</param>
public sealed record Route(RouteKind Kind, Dataset? Dataset = null, DateOnly? BatchDate = null, bool Undated = false, string? Reason = null)
{
    public string? BatchId => BatchDate is { } date ? LakeLayout.FormatDate(date) : null;
}

/// <summary>
/// Where an uploaded key belongs (lambda/README.md, "Routing"); the one place these rules live, for the
/// Lambda's S3 events and the local run's deliveries alike.
/// </summary>
public static class KeyRouter
{
    private const string ExpectedFilesPrefix = "raw/batches/";
    private const string ExpectedFilesName = "_manifest.json";

    /// <param name="uploadDate">The UTC date of the upload: the batch of a file that names none.</param>
    public static Route Route(string key, DateOnly uploadDate)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0 || key.EndsWith('/'))
            return Ignore("a folder marker, not a file");
        // S3 allows any key; a key that would climb out of its folder, or has an empty segment, names no file of the layout.
        if (ObjectKeys.Problem(key) is not null)
            return Ignore("a key with an empty, '.' or '..' path segment");
        if (key.EndsWith(".partial", StringComparison.Ordinal))
            return Ignore("an unfinished upload (.partial)");
        if (key.StartsWith(ExpectedFilesPrefix, StringComparison.Ordinal))
            return RouteExpectedFiles(key);
        if (!key.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            return Ignore("not a CSV file");
        if (!LakeLayout.TryParse(key, out var file) || file.Stage != Stage.Raw)
            return Ignore("not under raw/products/, raw/orders/YYYY-MM-DD/ or raw/order_items/YYYY-MM-DD/ in the lake layout");
        if (file.Dataset == Dataset.Products)
        {
            return key == LakeLayout.ProductsKey
                ? new Route(RouteKind.Products, Dataset.Products)
                : Ignore($"products master data is {LakeLayout.ProductsKey} only");
        }
        return file.BatchDate is { } date
            ? new Route(RouteKind.DailyFile, file.Dataset, date)
            : new Route(RouteKind.DailyFile, file.Dataset, uploadDate, Undated: true);
    }

    private static Route RouteExpectedFiles(string key)
    {
        var parts = key[ExpectedFilesPrefix.Length..].Split('/');
        if (parts.Length == 2 && parts[1] == ExpectedFilesName && LakeLayout.TryParseDate(parts[0], out var date))
            return new Route(RouteKind.ExpectedFiles, BatchDate: date);
        return Ignore($"not a batch's expected-files list (raw/batches/YYYY-MM-DD/{ExpectedFilesName})");
    }

    private static Route Ignore(string reason) => new(RouteKind.Ignored, Reason: reason);
}
