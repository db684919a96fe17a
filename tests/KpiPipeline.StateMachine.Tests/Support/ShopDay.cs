using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Stores;
using KpiPipeline.Testing;
using KpiPipeline.Transform;
using KpiPipeline.Validation;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiPipeline.StateMachine.Tests.Support;

/// <summary>One day of shop files, and the KPIs the in-process pipeline computes from them.</summary>
internal sealed record ShopDay(string BatchId, IReadOnlyDictionary<string, string> Files)
{
    public const string OrdersKey = "raw/orders/2024-01-01/part-0000.csv";
    public const string ItemsKey = "raw/order_items/2024-01-01/part-0000.csv";

    public static ShopDay Good() => new("2024-01-01", new Dictionary<string, string>
    {
        [LakeLayout.ProductsKey] = ShopFiles.Products(("p1", "Electronics"), ("p2", "Books"), ("p3", "Garden, outdoor")),
        [OrdersKey] = ShopFiles.Orders(
            ("o1", "u1", "2024-01-01T09:00:00Z", "Complete"),
            ("o2", "u2", "2024-01-01T10:30:00Z", "Returned"),
            ("o3", "u1", "2024-01-01T18:45:00Z", "Shipped")),
        [ItemsKey] = ShopFiles.Items(
            ("i1", "o1", "p1", "100.00", "1"),
            ("i2", "o1", "p2", "12.50", "2"),
            ("i3", "o2", "p3", "40.00", "1"),
            ("i4", "o3", "p2", "8.00", "3")),
    });

    /// <summary>The good day with an orders file that lacks the created_at column: the whole file is quarantined.</summary>
    public static ShopDay WithBrokenOrdersFile()
    {
        var files = new Dictionary<string, string>(Good().Files)
        {
            [OrdersKey] = "order_id,user_id,status\no1,u1,Complete\no2,u2,Returned\n",
        };
        return new ShopDay("2024-01-01", files);
    }

    public IReadOnlyList<string> OrdersKeys => Files.Keys.Where(k => k.StartsWith("raw/orders/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> ItemsKeys => Files.Keys.Where(k => k.StartsWith("raw/order_items/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    public async Task UploadAsync(LocalPipeline pipeline)
    {
        // Products first, as the deployment guide says a shop uploads.
        foreach (var (key, content) in Files.OrderBy(f => f.Key == LakeLayout.ProductsKey ? 0 : 1))
            await pipeline.UploadAsync(key, content);
    }

    /// <summary>
    /// The KPIs of this day computed in-process, with the same validator and KPI job code the containers run,
    /// on a lake in a temporary folder: what the state machine must have stored in DynamoDB.
    /// </summary>
    public async Task<KpiSnapshot> ExpectedKpisAsync()
    {
        using var lake = new TempLake();
        foreach (var (key, content) in Files)
            lake.Write(key, content);
        var manifest = new BatchManifest(BatchId, 1, LakeLayout.ProductsKey, OrdersKeys, ItemsKeys, DateTimeOffset.UtcNow);
        await manifest.WriteAsync(lake.Store, CancellationToken.None);
        var validation = await new BatchValidator(lake.Store, new ValidationOptions(), TimeProvider.System, NullLogger<BatchValidator>.Instance)
            .ValidateAsync(manifest.Key, CancellationToken.None);
        Assert.Equal(0, validation.ExitCode);
        await using var store = await SqliteKpiStore.OpenInLakeAsync(lake.Root, CancellationToken.None);
        var job = new KpiJob(lake.Store, store, new InProcessKpiEngine(lake.Store), TimeProvider.System, NullLogger<KpiJob>.Instance);
        await job.RunAsync(manifest.Key, null, CancellationToken.None);
        return (await store.ReadAsync(null, null, CancellationToken.None)).Sorted();
    }
}
