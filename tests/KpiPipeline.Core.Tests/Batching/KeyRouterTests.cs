using KpiPipeline.Batching;
using KpiPipeline.Contracts;

namespace KpiPipeline.Core.Tests.Batching;

public sealed class KeyRouterTests
{
    private static readonly DateOnly UploadDate = new(2024, 3, 15);

    public static TheoryData<string, string, string?, string?, bool> Table => new()
    {
        // key, kind, dataset, batch, undated
        { "raw/products/products.csv", "Products", "Products", null, false },
        { "raw/orders/2024-01-01/part-0000.csv", "DailyFile", "Orders", "2024-01-01", false },
        { "raw/order_items/2024-01-01/part-0000.csv", "DailyFile", "OrderItems", "2024-01-01", false },
        { "raw/orders/2024-01-01/PART-0001.CSV", "DailyFile", "Orders", "2024-01-01", false },
        { "raw/orders/2024-01-01/part 0002 (retry).csv", "DailyFile", "Orders", "2024-01-01", false },
        { "raw/orders/orders.csv", "DailyFile", "Orders", "2024-03-15", true },
        { "raw/order_items/items.csv", "DailyFile", "OrderItems", "2024-03-15", true },
        { "raw/batches/2024-01-01/_manifest.json", "ExpectedFiles", null, "2024-01-01", false },
        { "raw/batches/2024-13-01/_manifest.json", "Ignored", null, null, false },
        { "raw/batches/2024-01-01/manifest.json", "Ignored", null, null, false },
        { "raw/products/products-old.csv", "Ignored", null, null, false },
        { "raw/products/2024-01-01/products.csv", "Ignored", null, null, false },
        { "raw/orders/2024-01-01/", "Ignored", null, null, false },
        { "raw/orders/", "Ignored", null, null, false },
        { "raw/orders/2024-01-01/part-0000.json", "Ignored", null, null, false },
        { "raw/orders/2024-01-01/part-0000.csv.gz", "Ignored", null, null, false },
        { "raw/orders/not-a-date/part-0000.csv", "Ignored", null, null, false },
        { "raw/orders/2024-01-01/nested/part-0000.csv", "Ignored", null, null, false },
        { "raw/customers/2024-01-01/part-0000.csv", "Ignored", null, null, false },
        { "validated/orders/2024-01-01/part-0000.csv", "Ignored", null, null, false },
        { "batches/2024-01-01/v0001.json", "Ignored", null, null, false },
        { "orders/2024-01-01/part-0000.csv", "Ignored", null, null, false },
        { "raw/orders/2024-01-01/../2024-01-02/part-0000.csv", "Ignored", null, null, false },
        { "raw/orders/2024-01-01//part-0000.csv", "Ignored", null, null, false },
        { "/raw/orders/2024-01-01/part-0000.csv", "Ignored", null, null, false },
        { "raw/orders/2024-01-01/part-0000.csv.3f2a.partial", "Ignored", null, null, false },
        { "raw/orders/2024-01-01/v1..2.csv", "DailyFile", "Orders", "2024-01-01", false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Route_Key_FollowsTheRoutingTable(string key, string kind, string? dataset, string? batchId, bool undated)
    {
        var route = KeyRouter.Route(key, UploadDate);

        Assert.Equal(kind, route.Kind.ToString());
        Assert.Equal(dataset, route.Dataset?.ToString());
        Assert.Equal(batchId, route.BatchId);
        Assert.Equal(undated, route.Undated);
        Assert.Equal(route.Kind == RouteKind.Ignored, route.Reason is not null);
    }

    [Fact]
    public void Route_IgnoredKey_ReasonSaysWhy()
    {
        Assert.Equal("a folder marker, not a file", KeyRouter.Route("raw/orders/2024-01-01/", UploadDate).Reason);
        Assert.Equal("not a CSV file", KeyRouter.Route("raw/orders/2024-01-01/x.parquet", UploadDate).Reason);
        Assert.Contains("raw/products/products.csv only", KeyRouter.Route("raw/products/other.csv", UploadDate).Reason, StringComparison.Ordinal);
        Assert.Equal("a key with an empty, '.' or '..' path segment", KeyRouter.Route("raw/orders/../orders/2024-01-01/x.csv", UploadDate).Reason);
        Assert.Equal("an unfinished upload (.partial)", KeyRouter.Route("raw/orders/2024-01-01/x.csv.1.partial", UploadDate).Reason);
        Assert.Contains("raw/orders/YYYY-MM-DD/", KeyRouter.Route("raw/orders/march/x.csv", UploadDate).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_UndatedFile_JoinsTheUploadDatesBatch()
    {
        var route = KeyRouter.Route("raw/orders/late.csv", new DateOnly(2024, 12, 31));

        Assert.Equal((RouteKind.DailyFile, Dataset.Orders, "2024-12-31", true), (route.Kind, route.Dataset!.Value, route.BatchId, route.Undated));
    }
}
