using KpiPipeline.Batching;

namespace KpiPipeline.Core.Tests.Batching;

public sealed class CompletenessTests
{
    private const string Products = "raw/products/products.csv";
    private const string Orders0 = "raw/orders/2024-01-01/part-0000.csv";
    private const string Orders1 = "raw/orders/2024-01-01/part-0001.csv";
    private const string Items0 = "raw/order_items/2024-01-01/part-0000.csv";

    [Fact]
    public void Evaluate_ProductsAndOneFileOfEachKind_Ready()
    {
        var readiness = Completeness.Evaluate(State([Orders0], [Items0]), Products);

        Assert.True(readiness.IsReady);
    }

    [Theory]
    [InlineData(true, false, "waiting for an order_items file")]
    [InlineData(false, true, "waiting for an orders file")]
    [InlineData(false, false, "waiting for orders and order_items files")]
    public void Evaluate_AKindMissing_WaitingForFiles(bool hasOrders, bool hasItems, string reason)
    {
        var readiness = Completeness.Evaluate(State(hasOrders ? [Orders0] : [], hasItems ? [Items0] : []), Products);

        Assert.Equal((false, BatchStatus.WaitingForFiles, reason), (readiness.IsReady, readiness.Status, readiness.Reason));
    }

    [Fact]
    public void Evaluate_NoProducts_WaitingForProducts()
    {
        var readiness = Completeness.Evaluate(State([Orders0], [Items0]), productsKey: null);

        Assert.Equal((false, false, BatchStatus.WaitingForProducts), (readiness.IsReady, readiness.DefaultRuleMet, readiness.Status));
    }

    [Fact]
    public void Evaluate_ExpectedFileMissing_NotReadyAlthoughTheDefaultRuleIsMet()
    {
        var readiness = Completeness.Evaluate(State([Orders0], [Items0], expectedOrders: [Orders0, Orders1], expectedItems: [Items0]), Products);

        Assert.Equal((false, true), (readiness.IsReady, readiness.DefaultRuleMet));
        Assert.Equal([Orders1], readiness.MissingExpected);
        Assert.Equal("1 of 3 expected files have not arrived: raw/orders/2024-01-01/part-0001.csv", readiness.Reason);
    }

    [Fact]
    public void Evaluate_EveryExpectedFileAndAnExtraOne_Ready()
    {
        var readiness = Completeness.Evaluate(State([Orders0, Orders1], [Items0], expectedOrders: [Orders0], expectedItems: [Items0]), Products);

        Assert.True(readiness.IsReady);
    }

    private static BatchState State(string[] orders, string[] items, string[]? expectedOrders = null, string[]? expectedItems = null) => new(
        BatchId: "2024-01-01",
        Bucket: "kpi-lake",
        OrdersKeys: orders.ToHashSet(),
        OrderItemsKeys: items.ToHashSet(),
        ExpectedOrdersKeys: expectedOrders?.ToHashSet(),
        ExpectedOrderItemsKeys: expectedItems?.ToHashSet(),
        ExpectedHash: expectedOrders is null ? null : "hash",
        Revision: orders.Length + items.Length,
        ClaimedRevision: 0,
        Version: 0,
        StartedVersion: 0,
        ClaimedAt: null,
        ClaimedOrdersKeys: new HashSet<string>(),
        ClaimedOrderItemsKeys: new HashSet<string>(),
        ProductsKey: null,
        Status: null,
        StatusReason: null,
        LastArrival: null);
}
