using System.Text;
using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Validation;

/// <summary>
/// Validates one batch manifest: products in place, then orders, then order items, each file in one
/// streaming pass; moves each raw orders/order_items file on to <c>validated/</c> or <c>invalid/</c>;
/// writes the report. The one entry point for the validator container and the KPI job's local run.
/// </summary>
/// <remarks>
/// Data problems are results (a rejected row, a quarantined file, a rejected batch); infrastructure
/// failures (the store unreachable) propagate as exceptions. A malformed manifest throws
/// <see cref="InvalidDataException"/>, a missing one <see cref="ObjectNotFoundException"/>.
/// Re-running the same manifest is idempotent: files already moved on are not validated again.
/// An <paramref name="inspector"/> adds frame-level checks to each file after its streaming pass.
/// </remarks>
public sealed class BatchValidator(IObjectStore store, ValidationOptions options, TimeProvider clock, ILogger<BatchValidator> logger, IFileInspector? inspector = null)
{
    public async Task<BatchValidationResult> ValidateAsync(string manifestKey, CancellationToken ct)
    {
        options.Validate();
        var manifest = await BatchManifest.ReadAsync(store, manifestKey, ct).ConfigureAwait(false);
        var productsFile = Parse(manifest.ProductsKey, Dataset.Products, manifestKey);
        var ordersFiles = ParseAll(manifest.OrdersKeys, Dataset.Orders, manifestKey);
        var itemsFiles = ParseAll(manifest.OrderItemsKeys, Dataset.OrderItems, manifestKey);
        var validatedAt = clock.GetUtcNow();
        Log.BatchStarted(logger, manifest.BatchId, manifest.Version, manifestKey, ordersFiles.Count, itemsFiles.Count);

        var keys = new BatchKeys();
        var validator = new FileValidator(store, options, validatedAt.UtcDateTime, manifest.BatchDate, keys, inspector);
        var results = new List<FileValidationResult>();
        string? rejection;

        var products = await ValidateProductsAsync(validator, manifest.ProductsKey, productsFile, ct).ConfigureAwait(false);
        results.Add(products);
        if (!products.Survives || products.Accepted == 0)
        {
            rejection = products.Survives ? "no product was accepted" : $"products are unusable ({products.FileError?.Rule.Id})";
            Log.ProductsUnusable(logger, manifest.ProductsKey, rejection);
            // Without products no order item can be checked; leaving the files in raw/ lets a run with fixed products start afresh.
            results.AddRange(ordersFiles.Concat(itemsFiles).Select(f => NotValidated(f.Key, f.File.Dataset)));
        }
        else
        {
            // Orders first: their accepted ids are what order items are checked against.
            var orders = await ValidateDatasetAsync(validator, ordersFiles, ct).ConfigureAwait(false);
            var items = await ValidateDatasetAsync(validator, itemsFiles, ct).ConfigureAwait(false);
            results.AddRange(orders);
            results.AddRange(items);
            rejection = !orders.Any(f => f.Survives) ? "no orders file survived validation"
                : !items.Any(f => f.Survives) ? "no order_items file survived validation"
                : null;
        }

        var outcome = rejection is null ? BatchOutcome.Valid : BatchOutcome.Rejected;
        var reportKey = LakeLayout.ValidationReportKey(manifest.BatchDate, manifest.Version);
        var summaryKey = LakeLayout.ValidationReportKey(manifest.BatchDate, manifest.Version, "txt");
        var summary = ValidationSummary.Build(manifest.BatchId, manifest.Version, outcome, rejection, validatedAt, results);
        var result = new BatchValidationResult(manifest.BatchId, manifest.Version, manifestKey, outcome, rejection, validatedAt, results, reportKey, summaryKey, summary);
        await store.PutAsync(reportKey, result.ToJson(), ct).ConfigureAwait(false);
        await store.PutAsync(summaryKey, Encoding.UTF8.GetBytes(summary), ct).ConfigureAwait(false);
        Log.BatchDone(logger, manifest.BatchId, manifest.Version, outcome, reportKey);
        return result;
    }

    private async Task<FileValidationResult> ValidateProductsAsync(FileValidator validator, string key, LakeFile file, CancellationToken ct)
    {
        FileValidationResult result;
        if (!await store.ExistsAsync(key, ct).ConfigureAwait(false))
        {
            Log.FileMissing(logger, key);
            result = Missing(key, Dataset.Products);
        }
        else
        {
            result = await validator.ValidateAsync(key, file, ct).ConfigureAwait(false);
        }
        LogDone(result);
        return result;
    }

    /// <summary>
    /// Files an earlier run placed go first, so the keys they hold are the batch's "first occurrences";
    /// then the raw files in manifest order.
    /// </summary>
    private async Task<List<FileValidationResult>> ValidateDatasetAsync(FileValidator validator, IReadOnlyList<ManifestFile> files, CancellationToken ct)
    {
        var located = new List<(ManifestFile File, string? Location)>();
        foreach (var file in files)
            located.Add((file, await FileLocator.LocateAsync(store, file.Key, ct).ConfigureAwait(false)));

        await ReserveKeysAsync(files, located, validator, ct).ConfigureAwait(false);
        var results = new FileValidationResult?[files.Count];
        for (var i = 0; i < located.Count; i++)
        {
            var (file, location) = located[i];
            if (location is null || !LakeLayout.TryParse(location, out var placed) || placed.Stage is Stage.Raw)
                continue;
            if (placed.Stage == Stage.Invalid)
            {
                results[i] = AlreadyQuarantined(file.Key, file.File, location);
                continue;
            }
            Log.FileAlreadyPlaced(logger, file.Key, location);
            var disposition = placed.Stage == Stage.Validated ? FileDisposition.AlreadyValidated : FileDisposition.AlreadyProcessed;
            results[i] = await validator.RegisterAsync(file.Key, location, file.File, disposition, l => Log.EarlierFileUnreadable(logger, file.Key, l), ct).ConfigureAwait(false);
        }
        for (var i = 0; i < located.Count; i++)
        {
            var (file, location) = located[i];
            if (results[i] is not null)
                continue;
            if (location is null)
            {
                Log.FileMissing(logger, file.Key);
                results[i] = Missing(file.Key, file.File.Dataset);
                continue;
            }
            results[i] = await validator.ValidateAsync(file.Key, file.File, ct).ConfigureAwait(false);
        }
        foreach (var result in results)
            LogDone(result!);
        return [.. results.Select(r => r!)];
    }

    /// <summary>
    /// Tells the file validator how many bytes the dataset's raw files hold (one listing per folder), so a key
    /// table of scattered ids is sized once for the whole day instead of part after part.
    /// </summary>
    private async Task ReserveKeysAsync(IReadOnlyList<ManifestFile> files, List<(ManifestFile File, string? Location)> located, FileValidator validator, CancellationToken ct)
    {
        var raw = located.Where(l => l.Location == l.File.Key).Select(l => l.File.Key).ToHashSet(StringComparer.Ordinal);
        if (raw.Count == 0)
            return;
        long bytes = 0;
        foreach (var folder in raw.Select(k => k[..(k.LastIndexOf('/') + 1)]).Distinct(StringComparer.Ordinal))
        {
            await foreach (var info in store.ListAsync(folder, ct).ConfigureAwait(false))
            {
                if (raw.Contains(info.Key))
                    bytes += info.Size;
            }
        }
        validator.ExpectBytes(files[0].File.Dataset, bytes);
    }

    private void LogDone(FileValidationResult result)
    {
        Log.FileDone(logger, result.Key, result.Dataset, result.Disposition, result.RowsRead, result.Accepted, result.Rejected);
        if (result.FileError is { } error && result.Disposition == FileDisposition.Quarantined)
            Log.FileQuarantined(logger, result.Key, error.Rule.Id, error.Expected, error.Found);
    }

    private static FileValidationResult Missing(string key, Dataset dataset) =>
        new(key, dataset, FileDisposition.Missing, null, 0, 0, 0, 0, new Dictionary<string, long>(), 0, null, null,
            new Violation(ValidationRules.FileMissing, 0, null, ValidationRules.FileMissing.Expected, "no object in raw/, validated/, processed/ or invalid/"), []);

    private static FileValidationResult NotValidated(string key, Dataset dataset) =>
        new(key, dataset, FileDisposition.NotValidated, key, 0, 0, 0, 0, new Dictionary<string, long>(), 0, null, null, null, []);

    private static FileValidationResult AlreadyQuarantined(string key, LakeFile file, string location) =>
        new(key, file.Dataset, FileDisposition.AlreadyQuarantined, location, 0, 0, 0, 0, new Dictionary<string, long>(), 0, null, LakeLayout.ErrorsKey(file), null, []);

    private static List<ManifestFile> ParseAll(IReadOnlyList<string> keys, Dataset dataset, string manifestKey) =>
        [.. keys.Distinct(StringComparer.Ordinal).Select(k => new ManifestFile(k, Parse(k, dataset, manifestKey)))];

    private static LakeFile Parse(string key, Dataset dataset, string manifestKey)
    {
        if (ObjectKeys.Problem(key) is { } problem)
            throw new InvalidDataException($"{manifestKey}: '{key}' is not a key inside the lake: {problem}.");
        if (!LakeLayout.TryParse(key, out var file) || file.Stage != Stage.Raw || file.Dataset != dataset)
            throw new InvalidDataException($"{manifestKey}: '{key}' is not a raw {dataset.Folder()} key of the lake layout.");
        return file;
    }

    private sealed record ManifestFile(string Key, LakeFile File);
}
