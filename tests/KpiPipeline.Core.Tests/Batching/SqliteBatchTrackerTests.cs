using KpiPipeline.Batching;
using KpiPipeline.Testing;

namespace KpiPipeline.Core.Tests.Batching;

public sealed class SqliteBatchTrackerTests : BatchTrackerContract, IAsyncLifetime
{
    private readonly TempLake _lake = new();
    private readonly List<SqliteBatchTracker> _opened = [];

    protected override async Task<(IBatchTracker First, IBatchTracker Second)> CreateSutAsync()
    {
        var path = Path.Combine(_lake.Root, $"{Guid.NewGuid():N}.db");
        var first = await SqliteBatchTracker.OpenAsync(path, CancellationToken.None);
        var second = await SqliteBatchTracker.OpenAsync(path, CancellationToken.None);
        _opened.AddRange([first, second]);
        return (first, second);
    }

    [Fact]
    public async Task OpenInLakeAsync_KpiDatabaseIsADirectory_InfrastructureFailureNamingIt()
    {
        Directory.CreateDirectory(Path.Combine(_lake.Root, "kpis.db"));

        var failure = await Assert.ThrowsAsync<BatchTrackerUnavailableException>(() => SqliteBatchTracker.OpenInLakeAsync(_lake.Root, CancellationToken.None));

        Assert.Contains(Path.Combine(_lake.Root, "kpis.db"), failure.Message, StringComparison.Ordinal);
        Assert.NotNull(InfrastructureFailure.Describe(failure));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var tracker in _opened)
            await tracker.DisposeAsync();
        _lake.Dispose();
    }
}
