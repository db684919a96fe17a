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

        Assert.Equal([("raw/orders/2024-01-01/a.csv", 1L), ("raw/orders/2024-01-02/b.csv", 5L)], items.Select(i => (i.Key, i.Size)));
        Assert.All(items, i => Assert.NotNull(i.Stamp));
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
    public async Task DeleteAsync_MissingObjectOrFolder_IsNotAnError()
    {
        var store = await CreateSutAsync();

        await store.DeleteAsync("no/such/folder/x.csv", CancellationToken.None);

        Assert.False(await store.ExistsAsync("no/such/folder/x.csv", CancellationToken.None));
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
    public async Task EveryOperation_DotsInsideAName_AnOrdinaryKey()
    {
        var store = await CreateSutAsync();
        const string key = "raw/orders/2024-03-01/v1..2.csv";

        await PutAsync(store, key, "content");
        var listed = await ListAsync(store, "raw/orders/");
        var moved = await store.MoveAsync(key, "validated/orders/2024-03-01/v1..2.csv", CancellationToken.None);

        Assert.Equal([key], listed);
        Assert.True(moved);
        Assert.Equal("content", await ReadAsync(store, "validated/orders/2024-03-01/v1..2.csv"));
    }

    [Theory]
    [InlineData("raw/orders/2024-03-01/..", "it has '..' as a path segment")]
    [InlineData("raw/orders/../../outside.csv", "it has '..' as a path segment")]
    [InlineData("raw/./orders/a.csv", "it has '.' as a path segment")]
    [InlineData("raw//orders/a.csv", "it has an empty path segment ('//')")]
    [InlineData("raw/orders/", "it ends with '/' (a folder, not an object)")]
    [InlineData("/etc/passwd", "it is an absolute path")]
    public async Task EveryOperation_KeyThatIsNoKeyInsideTheLake_RefusedNamingWhy(string key, string problem)
    {
        var store = await CreateSutAsync();

        var read = await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.OpenReadAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.ExistsAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => PutAsync(store, key, "x"));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.MoveAsync(key, "processed/x.csv", CancellationToken.None));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.DeleteAsync(key, CancellationToken.None));

        Assert.Equal($"'{key}' is not a key inside the lake: {problem}.", read.Message);
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
