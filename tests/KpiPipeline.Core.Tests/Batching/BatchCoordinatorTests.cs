using KpiPipeline.Batching;
using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using KpiPipeline.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiPipeline.Core.Tests.Batching;

/// <summary>
/// A claim whose request was retried after its first attempt won (a dropped connection, a 5xx after the write):
/// the retry's condition fails, so the claimer reads it as lost, although the claim is its own.
/// </summary>
public sealed class BatchCoordinatorTests : IAsyncLifetime
{
    private const string Batch = "2024-03-01";
    private readonly TempLake _lake = new();
    private SqliteBatchTracker _tracker = null!;

    public async Task InitializeAsync()
    {
        _tracker = await SqliteBatchTracker.OpenInLakeAsync(_lake.Root, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        await _tracker.RecordFilesAsync(
        [
            new DailyFileArrival(Batch, Dataset.Orders, $"raw/orders/{Batch}/part-0000.csv", "o"),
            new DailyFileArrival(Batch, Dataset.OrderItems, $"raw/order_items/{Batch}/part-0000.csv", "i"),
        ], "lake", now, CancellationToken.None);
        await _tracker.RecordProductsAsync(LakeLayout.ProductsKey, "lake", now, CancellationToken.None);
    }

    [Fact]
    public async Task EvaluateAsync_OwnClaimReadAsLostWhereNoOtherClaimerCanBeAlive_StartsIt()
    {
        var starter = new RecordingStarter();
        var coordinator = new BatchCoordinator(new ClaimResponseLost(_tracker), _ => _lake.Store, starter, TimeProvider.System, TimeSpan.Zero, NullLogger.Instance);

        var decisions = await coordinator.EvaluateAsync((await _tracker.GetAsync(Batch, CancellationToken.None))!, LakeLayout.ProductsKey, null, CancellationToken.None);

        Assert.Equal([(Batch, 1)], starter.Started.Select(s => (s.BatchId, s.Version)));
        Assert.Equal([Decisions.Started], decisions.Select(d => d.Decision));
        var after = await _tracker.GetAsync(Batch, CancellationToken.None);
        Assert.Equal((1, 1, false), (after!.Version, after.StartedVersion, after.HasUnstartedClaim));
        Assert.True(_lake.Exists(LakeLayout.ManifestKey(new DateOnly(2024, 3, 1), 1)));
    }

    [Fact]
    public async Task EvaluateAsync_ClaimReadAsLostWhereAnotherClaimerMayBeAlive_LeavesItToTheSweeper()
    {
        var starter = new RecordingStarter();
        var coordinator = new BatchCoordinator(new ClaimResponseLost(_tracker), _ => _lake.Store, starter, TimeProvider.System, TimeSpan.FromMinutes(15), NullLogger.Instance);

        var decisions = await coordinator.EvaluateAsync((await _tracker.GetAsync(Batch, CancellationToken.None))!, LakeLayout.ProductsKey, null, CancellationToken.None);

        Assert.Empty(starter.Started);
        Assert.Equal([Decisions.ClaimedElsewhere], decisions.Select(d => d.Decision));
        Assert.True((await _tracker.GetAsync(Batch, CancellationToken.None))!.HasUnstartedClaim);
    }

    public async Task DisposeAsync()
    {
        await _tracker.DisposeAsync();
        _lake.Dispose();
    }

    private sealed class RecordingStarter : IExecutionStarter
    {
        public List<BatchExecutionInput> Started { get; } = [];

        public Task<ExecutionStart> StartAsync(BatchExecutionInput input, CancellationToken cancellationToken)
        {
            Started.Add(input);
            return Task.FromResult(new ExecutionStart(input.ExecutionName, null, AlreadyExisted: false));
        }
    }

    /// <summary>Claims through the real tracker, then answers as the failed retry would: not claimed.</summary>
    private sealed class ClaimResponseLost(IBatchTracker inner) : IBatchTracker
    {
        public string Location => inner.Location;

        public async Task<BatchState?> TryClaimAsync(BatchState state, string productsKey, string executionName, DateTimeOffset now, CancellationToken cancellationToken)
        {
            Assert.NotNull(await inner.TryClaimAsync(state, productsKey, executionName, now, cancellationToken));
            return await inner.TryClaimAsync(state, productsKey, executionName, now, cancellationToken);
        }

        public Task<(bool IsNew, BatchState State)> RecordFileAsync(string batchId, Dataset dataset, string key, string arrivalId, string bucket, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.RecordFileAsync(batchId, dataset, key, arrivalId, bucket, now, cancellationToken);

        public Task<IReadOnlyList<(bool IsNew, BatchState State)>> RecordFilesAsync(IReadOnlyList<DailyFileArrival> files, string bucket, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.RecordFilesAsync(files, bucket, now, cancellationToken);

        public Task<(bool IsNew, BatchState State)> RecordExpectedFilesAsync(ExpectedFiles expected, string key, string bucket, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.RecordExpectedFilesAsync(expected, key, bucket, now, cancellationToken);

        public Task RecordProductsAsync(string key, string bucket, DateTimeOffset now, CancellationToken cancellationToken) => inner.RecordProductsAsync(key, bucket, now, cancellationToken);

        public Task<string?> GetProductsKeyAsync(CancellationToken cancellationToken) => inner.GetProductsKeyAsync(cancellationToken);

        public Task<BatchState?> GetAsync(string batchId, CancellationToken cancellationToken) => inner.GetAsync(batchId, cancellationToken);

        public Task<bool> TryAcknowledgeAsync(BatchState state, DateTimeOffset now, CancellationToken cancellationToken) => inner.TryAcknowledgeAsync(state, now, cancellationToken);

        public Task MarkStartedAsync(string batchId, int version, DateTimeOffset now, CancellationToken cancellationToken) => inner.MarkStartedAsync(batchId, version, now, cancellationToken);

        public Task<bool> TrySetStatusAsync(BatchState state, string status, string reason, string? productsKey, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.TrySetStatusAsync(state, status, reason, productsKey, now, cancellationToken);

        public IAsyncEnumerable<BatchState> ScanOpenAsync(CancellationToken cancellationToken) => inner.ScanOpenAsync(cancellationToken);

        public IAsyncEnumerable<BatchState> ScanAllAsync(CancellationToken cancellationToken) => inner.ScanAllAsync(cancellationToken);

        public Task<bool> TryBeginRunAsync(string batchId, int version, DateTimeOffset now, CancellationToken cancellationToken) => inner.TryBeginRunAsync(batchId, version, now, cancellationToken);

        public Task<bool> TryRecordStepAsync(string batchId, int version, BatchStep step, string? reason, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.TryRecordStepAsync(batchId, version, step, reason, now, cancellationToken);

        public Task<BatchState?> RequestRerunAsync(string batchId, DateTimeOffset now, CancellationToken cancellationToken) => inner.RequestRerunAsync(batchId, now, cancellationToken);
    }
}
