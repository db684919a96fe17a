using System.Text;
using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using KpiPipeline.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiPipeline.Validator.Tests.Builders;

/// <summary>A lake in a temporary folder, deleted on dispose, with helpers to lay out a batch and inspect the result.</summary>
internal sealed class TestLake : IDisposable
{
    public static readonly DateOnly BatchDate = new(2024, 1, 15);
    public static readonly DateTimeOffset Now = new(2024, 1, 16, 0, 5, 0, TimeSpan.Zero);

    public TestLake()
    {
        Root = Path.Combine(Path.GetTempPath(), "validator-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Store = new LocalObjectStore(Root);
    }

    public string Root { get; }

    public LocalObjectStore Store { get; }

    public static string OrdersKey(string name = "part-0000.csv") => LakeLayout.BatchPrefix(Stage.Raw, Dataset.Orders, BatchDate) + name;

    public static string ItemsKey(string name = "part-0000.csv") => LakeLayout.BatchPrefix(Stage.Raw, Dataset.OrderItems, BatchDate) + name;

    public static string In(Stage stage, string rawKey) => LakeLayout.StagePrefix(stage) + rawKey["raw/".Length..];

    public TestLake Put(string key, string text) => Put(key, Encoding.UTF8.GetBytes(text));

    public TestLake Put(string key, byte[] bytes)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return this;
    }

    public bool Exists(string key) => File.Exists(PathOf(key));

    public string Read(string key) => File.ReadAllText(PathOf(key));

    public byte[] ReadBytes(string key) => File.ReadAllBytes(PathOf(key));

    /// <summary>Every key in the lake, sorted, excluding the manifest and reports.</summary>
    public IReadOnlyList<string> DataKeys() =>
        [.. Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(k => !k.StartsWith("batches/", StringComparison.Ordinal) && !k.StartsWith("logs/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    /// <summary>The standard clean batch: products 1–5, orders 1–20, items 1–40 (two per order).</summary>
    public TestLake WithStandardBatch() => this
        .Put(LakeLayout.ProductsKey, CsvText.Products(1, 5))
        .Put(OrdersKey(), CsvText.Orders(1, 20))
        .Put(ItemsKey(), CsvText.Items(1, 40));

    /// <summary>Writes a manifest listing every raw orders and order_items file now in the lake (or the given keys).</summary>
    public string WriteManifest(int version = 1, IReadOnlyList<string>? orders = null, IReadOnlyList<string>? items = null, string productsKey = LakeLayout.ProductsKey)
    {
        orders ??= RawKeys(Dataset.Orders);
        items ??= RawKeys(Dataset.OrderItems);
        var manifest = new BatchManifest(LakeLayout.FormatDate(BatchDate), version, productsKey, orders, items, Now);
        Put(manifest.Key, manifest.ToJson());
        return manifest.Key;
    }

    public BatchValidator CreateValidator(ValidationOptions? options = null, TimeProvider? clock = null, IFileInspector? inspector = null) =>
        new(Store, options ?? new ValidationOptions(), clock ?? new FakeTimeProvider(Now), NullLogger<BatchValidator>.Instance, inspector);

    public Task<BatchValidationResult> ValidateAsync(string manifestKey, ValidationOptions? options = null) =>
        CreateValidator(options).ValidateAsync(manifestKey, CancellationToken.None);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; never fail a test on cleanup.
        }
    }

    private List<string> RawKeys(Dataset dataset)
    {
        var folder = PathOf(LakeLayout.BatchPrefix(Stage.Raw, dataset, BatchDate));
        return Directory.Exists(folder)
            ? [.. Directory.EnumerateFiles(folder).Select(p => Path.GetRelativePath(Root, p).Replace(Path.DirectorySeparatorChar, '/')).Order(StringComparer.Ordinal)]
            : [];
    }

    private string PathOf(string key) => Path.Combine(Root, key.Replace('/', Path.DirectorySeparatorChar));
}
