using System.Globalization;
using KpiPipeline.Contracts;

namespace KpiPipeline.Lake;

/// <summary>The stages a file passes through. Each stage mirrors <c>raw/</c>'s sub-paths.</summary>
public enum Stage
{
    Raw,
    Validated,
    Invalid,
    Processed,
}

/// <summary>A data file's place in the lake, parsed from its key.</summary>
/// <param name="BatchDate">The daily batch the file belongs to; null for products master data and for files directly under the dataset folder.</param>
/// <param name="SubPath">The key below the stage prefix (<c>orders/2024-01-01/part-0.csv</c>).</param>
public sealed record LakeFile(Stage Stage, Dataset Dataset, DateOnly? BatchDate, string SubPath)
{
    public string KeyIn(Stage stage) => LakeLayout.StagePrefix(stage) + SubPath;
}

/// <summary>Every key the pipeline reads or writes is built here, so the layout is defined once.</summary>
public static class LakeLayout
{
    public const string ProductsKey = "raw/products/products.csv";
    public const string KpiDatabaseKey = "kpis.db";
    public const string CuratedOrderLinesPrefix = "curated/order_lines/";

    public static string StagePrefix(Stage stage) => stage switch
    {
        Stage.Raw => "raw/",
        Stage.Validated => "validated/",
        Stage.Invalid => "invalid/",
        Stage.Processed => "processed/",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, null),
    };

    public static string DatasetPrefix(Stage stage, Dataset dataset) => StagePrefix(stage) + dataset.Folder() + "/";

    public static string BatchPrefix(Stage stage, Dataset dataset, DateOnly batchDate) =>
        DatasetPrefix(stage, dataset) + FormatDate(batchDate) + "/";

    public static string ManifestKey(DateOnly batchDate, int version) =>
        $"batches/{FormatDate(batchDate)}/v{version.ToString("D4", CultureInfo.InvariantCulture)}.json";

    /// <summary><c>batches/2024-03-01/v0002.json</c> → 2024-03-01, 2; false for anything else under <c>batches/</c>.</summary>
    public static bool TryParseManifestKey(string key, out DateOnly date, out int version)
    {
        date = default;
        version = 0;
        var parts = key.Split('/');
        return parts.Length == 3 && parts[0] == "batches" && TryParseDate(parts[1], out date)
            && parts[2].Length == "v0000.json".Length && parts[2].StartsWith('v') && parts[2].EndsWith(".json", StringComparison.Ordinal)
            && int.TryParse(parts[2].AsSpan(1, 4), NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }

    public static string ManifestPrefix(DateOnly batchDate) => $"batches/{FormatDate(batchDate)}/";

    /// <summary>The optional list of expected part files a shop uploads for a batch.</summary>
    public static string ExpectedFilesKey(DateOnly batchDate) => $"raw/batches/{FormatDate(batchDate)}/_manifest.json";

    public static string ValidationReportKey(DateOnly batchDate, int version, string extension = "json") =>
        $"logs/validation/{FormatDate(batchDate)}/v{version.ToString("D4", CultureInfo.InvariantCulture)}.{extension}";

    public static string TransformationReportKey(DateOnly batchDate, int version) =>
        $"logs/transformation/{FormatDate(batchDate)}/v{version.ToString("D4", CultureInfo.InvariantCulture)}.json";

    public static string CuratedDatePrefix(DateOnly date) => $"{CuratedOrderLinesPrefix}date={FormatDate(date)}/";

    /// <summary>
    /// A batch's curated order lines of one date, in Parquet. <c>date=</c> and <c>batch=</c> are both folders, so Spark,
    /// DuckDB and Athena discover both as Hive partition columns (a <c>batch=…</c> file name would not be one).
    /// </summary>
    public static string CuratedKey(DateOnly date, DateOnly batchDate) => $"{CuratedDatePrefix(date)}batch={FormatDate(batchDate)}/{CuratedFileName}";

    /// <summary>Where the previous version kept the same lines as CSV; still read, and removed when the batch is written again.</summary>
    public static string LegacyCuratedKey(DateOnly date, DateOnly batchDate) => $"{CuratedDatePrefix(date)}batch={FormatDate(batchDate)}{LegacyCuratedExtension}";

    public const string CuratedFileName = "lines.parquet";
    public const string LegacyCuratedExtension = ".csv";

    /// <summary>Parses <c>curated/order_lines/date=D/batch=B/lines.parquet</c> (or the previous version's <c>date=D/batch=B.csv</c>); false for any other key.</summary>
    public static bool TryParseCuratedKey(string key, out DateOnly date, out string batchId, out bool legacyCsv)
    {
        date = default;
        batchId = "";
        legacyCsv = false;
        const string DateFolder = CuratedOrderLinesPrefix + "date=";
        if (!key.StartsWith(DateFolder, StringComparison.Ordinal))
            return false;
        var rest = key.AsSpan(DateFolder.Length);
        var slash = rest.IndexOf('/');
        if (slash < 0 || !TryParseDate(rest[..slash], out date))
            return false;
        var file = rest[(slash + 1)..];
        if (!file.StartsWith("batch="))
            return false;
        file = file["batch=".Length..];
        if (file.EndsWith("/" + CuratedFileName))
            file = file[..^(CuratedFileName.Length + 1)];
        else if (file.EndsWith(LegacyCuratedExtension))
        {
            file = file[..^LegacyCuratedExtension.Length];
            legacyCsv = true;
        }
        else
        {
            return false;
        }
        if (file.IsEmpty || file.IndexOf('/') >= 0)
            return false;
        batchId = file.ToString();
        return true;
    }

    /// <summary>The dates a batch wrote curated lines for, so a re-run can remove what it no longer produces.</summary>
    public static string CuratedBatchIndexKey(DateOnly batchDate) => $"curated/batch_index/batch={FormatDate(batchDate)}.json";

    /// <summary><c>invalid/…/name.errors.json</c> beside a quarantined file.</summary>
    public static string ErrorsKey(LakeFile file) => StagePrefix(Stage.Invalid) + WithSuffix(file.SubPath, ".errors.json");

    /// <summary><c>invalid/…/name.rejects.csv</c>: a file's rejected rows.</summary>
    public static string RejectsKey(LakeFile file) => StagePrefix(Stage.Invalid) + WithSuffix(file.SubPath, ".rejects.csv");

    public static string FormatDate(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static bool TryParseDate(ReadOnlySpan<char> text, out DateOnly date) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>
    /// Parses a data file's key in any stage; false for keys that are not data files of the layout, among them
    /// keys that are no key inside the lake at all (<see cref="ObjectKeys.Problem"/>).
    /// </summary>
    public static bool TryParse(string key, out LakeFile file)
    {
        file = null!;
        if (ObjectKeys.Problem(key) is not null)
            return false;
        Stage? stage = null;
        foreach (var candidate in Enum.GetValues<Stage>())
        {
            if (key.StartsWith(StagePrefix(candidate), StringComparison.Ordinal))
            {
                stage = candidate;
                break;
            }
        }
        if (stage is null)
            return false;
        var subPath = key[StagePrefix(stage.Value).Length..];
        var parts = subPath.Split('/');
        if (parts.Length < 2 || !DatasetNames.TryParseFolder(parts[0], out var dataset) || parts[^1].Length == 0)
            return false;
        if (dataset == Dataset.Products)
        {
            if (parts.Length != 2)
                return false;
            file = new LakeFile(stage.Value, dataset, null, subPath);
            return true;
        }
        DateOnly? batchDate = null;
        if (parts.Length == 3)
        {
            if (!TryParseDate(parts[1], out var parsed))
                return false;
            batchDate = parsed;
        }
        else if (parts.Length != 2)
        {
            return false;
        }
        file = new LakeFile(stage.Value, dataset, batchDate, subPath);
        return true;
    }

    private static string WithSuffix(string subPath, string suffix)
    {
        var dot = subPath.LastIndexOf('.');
        var slash = subPath.LastIndexOf('/');
        return (dot > slash ? subPath[..dot] : subPath) + suffix;
    }
}
