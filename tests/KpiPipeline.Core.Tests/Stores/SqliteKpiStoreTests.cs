using KpiPipeline.Stores;
using KpiPipeline.Testing;

namespace KpiPipeline.Core.Tests.Stores;

public sealed class SqliteKpiStoreTests : KpiStoreContract, IDisposable
{
    private readonly TempLake _lake = new();

    protected override async Task<IKpiStore> CreateSutAsync() => await SqliteKpiStore.OpenInLakeAsync(_lake.Root, CancellationToken.None);

    [Fact]
    public async Task WriteAsync_FewerCategoriesForADate_RemovesTheOthers()
    {
        await using var store = await CreateSutAsync();
        await store.WriteAsync(Snapshot(3, Day1), new("b", DateTimeOffset.UnixEpoch), CancellationToken.None);

        await store.WriteAsync(Snapshot(1, Day1), new("b", DateTimeOffset.UnixEpoch), CancellationToken.None);

        Assert.Single((await store.ReadAsync(null, null, CancellationToken.None)).Category);
    }

    public void Dispose() => _lake.Dispose();
}
