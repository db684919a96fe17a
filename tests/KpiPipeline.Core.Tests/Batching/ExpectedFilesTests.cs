using KpiPipeline.Batching;

namespace KpiPipeline.Core.Tests.Batching;

public sealed class ExpectedFilesTests
{
    private static readonly DateOnly Batch = new(2024, 1, 1);

    [Fact]
    public async Task ParseAsync_NamesAndFullKeys_ResolvedToRawKeys()
    {
        var expected = await ExpectedFiles.ParseAsync(Json("""
            {"batch_id": "2024-01-01", "orders_keys": ["part-0000.csv", "raw/orders/2024-01-01/part-0001.csv"], "order_items_keys": ["part-0000.csv"]}
            """), Batch, CancellationToken.None);

        Assert.Equal(["raw/orders/2024-01-01/part-0000.csv", "raw/orders/2024-01-01/part-0001.csv"], expected.OrdersKeys.Order());
        Assert.Equal(["raw/order_items/2024-01-01/part-0000.csv"], expected.OrderItemsKeys);
    }

    [Fact]
    public async Task Hash_SameFilesInAnotherOrder_Equal()
    {
        var first = await ExpectedFiles.ParseAsync(Json("""{"orders_keys": ["a.csv", "b.csv"], "order_items_keys": ["c.csv"]}"""), Batch, CancellationToken.None);
        var second = await ExpectedFiles.ParseAsync(Json("""{"orders_keys": ["b.csv", "a.csv"], "order_items_keys": ["c.csv"]}"""), Batch, CancellationToken.None);

        Assert.Equal(first.Hash, second.Hash);
    }

    [Theory]
    [InlineData("""{"batch_id": "2024-01-02", "orders_keys": ["a.csv"], "order_items_keys": ["b.csv"]}""", "batch_id '2024-01-02' does not match the folder's batch 2024-01-01.")]
    [InlineData("""{"orders_keys": ["a.csv"]}""", "order_items_keys is missing.")]
    [InlineData("""{"orders_keys": [], "order_items_keys": ["b.csv"]}""", "orders_keys and order_items_keys must each list at least one file.")]
    [InlineData("""{"orders_keys": [7], "order_items_keys": ["b.csv"]}""", "orders_keys[0] must be a non-empty string.")]
    [InlineData("""{"orders_keys": ["raw/orders/2024-01-02/a.csv"], "order_items_keys": ["b.csv"]}""", "orders_keys[0] 'raw/orders/2024-01-02/a.csv' is not a CSV file of raw/orders/2024-01-01/")]
    [InlineData("""{"orders_keys": ["a.txt"], "order_items_keys": ["b.csv"]}""", "orders_keys[0] 'a.txt' is not a CSV file of raw/orders/2024-01-01/")]
    public async Task ParseAsync_Invalid_MessageNamesTheProblem(string json, string expected)
    {
        var error = await Assert.ThrowsAsync<InvalidExpectedFilesException>(() => ExpectedFiles.ParseAsync(Json(json), Batch, CancellationToken.None));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static MemoryStream Json(string text) => new(System.Text.Encoding.UTF8.GetBytes(text));
}
