using KpiPipeline.Lake;
using KpiPipeline.Testing;

namespace KpiPipeline.Core.Tests.Transform;

/// <summary>Stages a batch in a lake as the validator leaves it: files under validated/ and a manifest.</summary>
internal sealed class ValidatedBatch(TempLake lake, string batchId, int version = 1)
{
    private readonly List<string> _orders = [];
    private readonly List<string> _items = [];

    /// <summary>A CSV file's text: the header, then one line per row.</summary>
    public static string Csv(string header, IEnumerable<string> rows) => new System.Text.StringBuilder(header).Append('\n').AppendJoin('\n', rows).Append('\n').ToString();

    public ValidatedBatch Products(string csv)
    {
        lake.Write(LakeLayout.ProductsKey, csv);
        lake.Write("validated/products/products.csv", csv);
        return this;
    }

    public ValidatedBatch Orders(string name, string csv)
    {
        lake.Write($"validated/orders/{batchId}/{name}", csv);
        _orders.Add($"raw/orders/{batchId}/{name}");
        return this;
    }

    public ValidatedBatch Items(string name, string csv)
    {
        lake.Write($"validated/order_items/{batchId}/{name}", csv);
        _items.Add($"raw/order_items/{batchId}/{name}");
        return this;
    }

    /// <summary>Lists files of earlier versions that are already archived, as the Lambda's manifest would.</summary>
    public ValidatedBatch AlreadyProcessed(string dataset, string name)
    {
        (dataset == "orders" ? _orders : _items).Add($"raw/{dataset}/{batchId}/{name}");
        return this;
    }

    public async Task<string> WriteManifestAsync()
    {
        var manifest = new BatchManifest(batchId, version, LakeLayout.ProductsKey, _orders, _items, DateTimeOffset.UnixEpoch);
        await manifest.WriteAsync(lake.Store, CancellationToken.None);
        return manifest.Key;
    }
}
