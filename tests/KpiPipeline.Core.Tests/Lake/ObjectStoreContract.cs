using System.Text;
using KpiPipeline.Lake;

namespace KpiPipeline.Core.Tests.Lake;

/// <summary>The behaviour every <see cref="IObjectStore"/> promises, run against each implementation.</summary>
public abstract class ObjectStoreContract
{
    protected abstract Task<IObjectStore> CreateSutAsync();

    private static async Task<string> ReadAsync(IObjectStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key, CancellationToken.None);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private static Task PutAsync(IObjectStore store, string key, string text) =>
        store.PutAsync(key, Encoding.UTF8.GetBytes(text), CancellationToken.None);

    private static async Task<List<string>> ListAsync(IObjectStore store, string prefix)
    {
        var keys = new List<string>();
        await foreach (var item in store.ListAsync(prefix, CancellationToken.None))
            keys.Add(item.Key);
        return keys;
    }

    [Fact]
    public async Task PutThenOpenRead_RoundTripsNonAsciiContent()
    {
        var store = await CreateSutAsync();

        await PutAsync(store, "raw/orders/2024-01-01/part-0.csv", "Über, Café\n");

        Assert.Equal("Über, Café\n", await ReadAsync(store, "raw/orders/2024-01-01/part-0.csv"));
    }

    [Fact]
    public async Task ListAsync_Prefix_ReturnsMatchingKeysInOrderWithSizes()
    {
        var store = await CreateSutAsync();
        await PutAsync(store, "raw/orders/2024-01-02/b.csv", "12345");
        await PutAsync(store, "raw/orders/2024-01-01/a.csv", "1");
        await PutAsync(store, "raw/order_items/2024-01-01/a.csv", "1");

        var items = new List<ObjectInfo>();
        await foreach (var item in store.ListAsync("raw/orders/", CancellationToken.None))
            items.Add(item);

        Assert.Equal([new ObjectInfo("raw/orders/2024-01-01/a.csv", 1), new ObjectInfo("raw/orders/2024-01-02/b.csv", 5)], items);
    }

    [Fact]
    public async Task MoveAsync_Twice_MovesOnceAndNeverLosesTheObject()
    {
        var store = await CreateSutAsync();
        await PutAsync(store, "validated/orders/2024-01-01/a.csv", "content");

        var first = await store.MoveAsync("validated/orders/2024-01-01/a.csv", "processed/orders/2024-01-01/a.csv", CancellationToken.None);
        var second = await store.MoveAsync("validated/orders/2024-01-01/a.csv", "processed/orders/2024-01-01/a.csv", CancellationToken.None);

        Assert.True(first);
        Assert.False(second);
        Assert.Equal("content", await ReadAsync(store, "processed/orders/2024-01-01/a.csv"));
        Assert.Empty(await ListAsync(store, "validated/"));
    }

    [Fact]
    public async Task MoveAsync_NeitherSourceNorDestination_ThrowsObjectNotFound()
    {
        var store = await CreateSutAsync();

        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.MoveAsync("validated/x.csv", "processed/x.csv", CancellationToken.None));
    }

    [Fact]
    public async Task OpenReadAsync_MissingKey_ThrowsObjectNotFoundNamingTheLocation()
    {
        var store = await CreateSutAsync();

        var error = await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.OpenReadAsync("raw/none.csv", CancellationToken.None));

        Assert.EndsWith("raw/none.csv does not exist.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_DisposedWithoutCommit_LeavesNothing()
    {
        var store = await CreateSutAsync();

        await using (var writer = await store.CreateAsync("curated/x.csv", CancellationToken.None))
            await writer.Stream.WriteAsync("partial"u8.ToArray());

        Assert.False(await store.ExistsAsync("curated/x.csv", CancellationToken.None));
        Assert.Empty(await ListAsync(store, "curated/"));
    }

    [Fact]
    public async Task CreateAsync_Committed_ReplacesTheObjectWhole()
    {
        var store = await CreateSutAsync();
        await PutAsync(store, "curated/x.csv", "old content that is longer");

        await using (var writer = await store.CreateAsync("curated/x.csv", CancellationToken.None))
        {
            await writer.Stream.WriteAsync("new"u8.ToArray());
            await writer.CommitAsync(CancellationToken.None);
        }

        Assert.Equal("new", await ReadAsync(store, "curated/x.csv"));
    }
}
