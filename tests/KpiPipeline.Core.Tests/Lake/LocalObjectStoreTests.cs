using KpiPipeline.Lake;
using KpiPipeline.Testing;

namespace KpiPipeline.Core.Tests.Lake;

public sealed class LocalObjectStoreTests : ObjectStoreContract, IDisposable
{
    private readonly TempLake _lake = new();

    protected override Task<IObjectStore> CreateSutAsync() => Task.FromResult<IObjectStore>(_lake.Store);

    [Theory]
    [InlineData("../outside.csv")]
    [InlineData("/etc/passwd")]
    public async Task OpenReadAsync_KeyOutsideTheLake_IsRefused(string key) =>
        await Assert.ThrowsAsync<ArgumentException>(() => _lake.Store.OpenReadAsync(key, CancellationToken.None));

    public void Dispose() => _lake.Dispose();
}
