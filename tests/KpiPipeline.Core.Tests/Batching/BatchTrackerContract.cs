using KpiPipeline.Batching;
using KpiPipeline.Contracts;

namespace KpiPipeline.Core.Tests.Batching;

/// <summary>
/// The claim protocol every <see cref="IBatchTracker"/> keeps (lambda/README.md): atomic adds, completeness,
/// one claim per revision, deterministic version names, run steps recorded once and in order. Run against
/// SQLite (the local lake) and DynamoDB (dynalite), each with two clients of one store so that concurrent
/// calls really race.
/// </summary>
public abstract class BatchTrackerContract
{
    protected const string Bucket = "lake";
    private const string Batch = "2024-03-01";
    private const string Products = "raw/products/products.csv";
    private const string Orders0 = "raw/orders/2024-03-01/part-0000.csv";
    private const string Items0 = "raw/order_items/2024-03-01/part-0000.csv";
    private static readonly DateTimeOffset Now = new(2024, 3, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Two independent clients (connections) of one new, empty tracker store.</summary>
    protected abstract Task<(IBatchTracker First, IBatchTracker Second)> CreateSutAsync();

    private async Task<IBatchTracker> CreateOneAsync() => (await CreateSutAsync()).First;

    private static Task<(bool IsNew, BatchState State)> RecordAsync(IBatchTracker tracker, string key, string? arrival = null) =>
        tracker.RecordFileAsync(Batch, key.Contains("/orders/", StringComparison.Ordinal) ? Dataset.Orders : Dataset.OrderItems,
            key, arrival ?? key, Bucket, Now, CancellationToken.None);

    private static async Task<BatchState> ReadyAsync(IBatchTracker tracker)
    {
        await RecordAsync(tracker, Orders0);
        var (_, state) = await RecordAsync(tracker, Items0);
        await tracker.RecordProductsAsync(Products, Bucket, Now, CancellationToken.None);
        return state;
    }

    [Fact]
    public async Task RecordFileAsync_SameArrivalTwice_SecondChangesNothing()
    {
        var tracker = await CreateOneAsync();

        var first = await RecordAsync(tracker, Orders0);
        var second = await RecordAsync(tracker, Orders0);

        Assert.True(first.IsNew);
        Assert.False(second.IsNew);
        Assert.Equal(1, second.State.Revision);
        Assert.Equal([Orders0], second.State.OrdersKeys);
        Assert.Equal((Bucket, BatchStatus.Receiving), (second.State.Bucket, second.State.Status));
    }

    [Fact]
    public async Task RecordFileAsync_NewArrivalOfKnownKey_NewRevisionSameKeys()
    {
        var tracker = await CreateOneAsync();
        await RecordAsync(tracker, Orders0, "upload-1");

        var (isNew, state) = await RecordAsync(tracker, Orders0, "upload-2");

        Assert.True(isNew);
        Assert.Equal((2L, 2L), (state.Revision, state.FilesRevision));
        Assert.Equal([Orders0], state.OrdersKeys);
    }

    [Fact]
    public async Task RecordFileAsync_ConcurrentArrivalsFromTwoClients_EachCountedExactlyOnce()
    {
        var (first, second) = await CreateSutAsync();
        var keys = Enumerable.Range(0, 12).Select(i => $"raw/orders/2024-03-01/part-{i:D4}.csv").ToList();

        // Every key is delivered twice, once through each client, all at once.
        var results = await Task.WhenAll(keys.SelectMany(k => new[] { RecordAsync(first, k), RecordAsync(second, k) }));

        Assert.Equal(keys.Count, results.Count(r => r.IsNew));
        var state = await first.GetAsync(Batch, CancellationToken.None);
        Assert.Equal(keys.Count, state!.Revision);
        Assert.Equal(keys.ToHashSet(), state.OrdersKeys.ToHashSet());
    }

    [Fact]
    public async Task RecordFilesAsync_FilesOfTwoBatchesWithARepeat_EachCountedOnceAndEachStateAsOfItsFile()
    {
        var tracker = await CreateOneAsync();
        const string OtherBatch = "2024-03-02";
        const string OtherOrders = "raw/orders/2024-03-02/part-0000.csv";
        await RecordAsync(tracker, Items0);

        var recorded = await tracker.RecordFilesAsync(
        [
            new DailyFileArrival(Batch, Dataset.Orders, Orders0, Orders0),
            new DailyFileArrival(OtherBatch, Dataset.Orders, OtherOrders, OtherOrders),
            new DailyFileArrival(Batch, Dataset.Orders, Orders0, Orders0),
            new DailyFileArrival(Batch, Dataset.Orders, Orders0, "upload-2"),
        ], Bucket, Now, CancellationToken.None);

        Assert.Equal([true, true, false, true], recorded.Select(r => r.IsNew));
        Assert.Equal([(Batch, 2L), (OtherBatch, 1L), (Batch, 2L), (Batch, 3L)], recorded.Select(r => (r.State.BatchId, r.State.Revision)));
        Assert.Equal([Items0], recorded[0].State.OrderItemsKeys);
        var batch = await tracker.GetAsync(Batch, CancellationToken.None);
        var other = await tracker.GetAsync(OtherBatch, CancellationToken.None);
        Assert.Equal((3L, 3L), (batch!.Revision, batch.FilesRevision));
        Assert.Equal([Orders0], batch.OrdersKeys);
        Assert.Equal([Items0], batch.OrderItemsKeys);
        Assert.Equal((1L, Bucket), (other!.Revision, other.Bucket));
        Assert.Equal([OtherOrders], other.OrdersKeys);
    }

    [Fact]
    public async Task RecordFilesAsync_OneDeliveryThroughTwoClientsAtOnce_EachFileCountedExactlyOnce()
    {
        var (first, second) = await CreateSutAsync();
        var files = Enumerable.Range(0, 12)
            .Select(i => $"raw/order_items/2024-03-01/part-{i:D4}.csv")
            .Select(key => new DailyFileArrival(Batch, Dataset.OrderItems, key, key))
            .ToList();

        var results = await Task.WhenAll(
            first.RecordFilesAsync(files, Bucket, Now, CancellationToken.None),
            second.RecordFilesAsync(files, Bucket, Now, CancellationToken.None),
            first.RecordFilesAsync(files[6..], Bucket, Now, CancellationToken.None));

        Assert.Equal(files.Count, results.Sum(r => r.Count(f => f.IsNew)));
        var state = await first.GetAsync(Batch, CancellationToken.None);
        Assert.Equal(files.Count, state!.Revision);
        Assert.Equal(files.Select(f => f.Key).ToHashSet(), state.OrderItemsKeys.ToHashSet());
    }

    [Fact]
    public async Task TryClaimAsync_TwoClientsRaceForOneRevision_ExactlyOneWins()
    {
        var (first, second) = await CreateSutAsync();
        var state = await ReadyAsync(first);
        var name = BatchExecutionInput.NameFor(Batch, state.Version + 1);

        var claims = await Task.WhenAll(
            first.TryClaimAsync(state, Products, name, Now, CancellationToken.None),
            second.TryClaimAsync(state, Products, name, Now, CancellationToken.None));

        var winner = Assert.Single(claims, c => c is not null)!;
        Assert.Equal((1, state.Revision, BatchStatus.Claimed), (winner.Version, winner.ClaimedRevision, winner.Status));
        Assert.Equal("2024-03-01-v1", name);
        Assert.Equal([Orders0], winner.ClaimedOrdersKeys);
        Assert.Equal([Items0], winner.ClaimedOrderItemsKeys);
        Assert.True(winner.HasUnstartedClaim);
        Assert.False(winner.HasUnclaimedWork);
    }

    [Fact]
    public async Task TryClaimAsync_ArrivalAfterTheRead_RefusedThenNextVersionClaimsBoth()
    {
        var tracker = await CreateOneAsync();
        var read = await ReadyAsync(tracker);
        var (_, newer) = await RecordAsync(tracker, "raw/order_items/2024-03-01/part-0001.csv");

        var stale = await tracker.TryClaimAsync(read, Products, "x", Now, CancellationToken.None);
        var fresh = await tracker.TryClaimAsync(newer, Products, BatchExecutionInput.NameFor(Batch, 1), Now, CancellationToken.None);

        Assert.Null(stale);
        Assert.Equal(2, fresh!.ClaimedOrderItemsKeys.Count);
        Assert.Null(await tracker.TryClaimAsync(newer, Products, "again", Now, CancellationToken.None));
    }

    [Fact]
    public async Task RecordExpectedFilesAsync_SameListTwice_OneRevisionAndCompletenessFollowsIt()
    {
        var tracker = await CreateOneAsync();
        await ReadyAsync(tracker);
        var expected = new ExpectedFiles(Batch, new HashSet<string> { Orders0 }, new HashSet<string> { Items0, "raw/order_items/2024-03-01/part-0001.csv" });

        var first = await tracker.RecordExpectedFilesAsync(expected, "raw/batches/2024-03-01/_manifest.json", Bucket, Now, CancellationToken.None);
        var second = await tracker.RecordExpectedFilesAsync(expected, "raw/batches/2024-03-01/_manifest.json", Bucket, Now, CancellationToken.None);

        Assert.Equal((true, false), (first.IsNew, second.IsNew));
        Assert.Equal((3L, 2L), (second.State.Revision, second.State.FilesRevision));
        var readiness = Completeness.Evaluate(second.State, await tracker.GetProductsKeyAsync(CancellationToken.None));
        Assert.Equal((false, BatchStatus.WaitingForFiles), (readiness.IsReady, readiness.Status));
    }

    [Fact]
    public async Task RecordProductsAsync_Recorded_KeyReadBackAndNeverScannedAsABatch()
    {
        var tracker = await CreateOneAsync();
        Assert.Null(await tracker.GetProductsKeyAsync(CancellationToken.None));
        await RecordAsync(tracker, Orders0);

        await tracker.RecordProductsAsync(Products, Bucket, Now, CancellationToken.None);

        Assert.Equal(Products, await tracker.GetProductsKeyAsync(CancellationToken.None));
        var all = await tracker.ScanAllAsync(CancellationToken.None).ToListAsync();
        Assert.Equal([Batch], all.Select(s => s.BatchId));
    }

    [Fact]
    public async Task MarkStartedAsync_LatestClaim_StartedAndNoLongerOpen()
    {
        var tracker = await CreateOneAsync();
        var claimed = (await tracker.TryClaimAsync(await ReadyAsync(tracker), Products, "n", Now, CancellationToken.None))!;
        Assert.Equal([Batch], (await tracker.ScanOpenAsync(CancellationToken.None).ToListAsync()).Select(s => s.BatchId));

        await tracker.MarkStartedAsync(Batch, claimed.Version, Now, CancellationToken.None);

        var state = await tracker.GetAsync(Batch, CancellationToken.None);
        Assert.Equal((1, BatchStatus.Started), (state!.StartedVersion, state.Status));
        Assert.Empty(await tracker.ScanOpenAsync(CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task TrySetStatusAsync_AfterTheRevisionWasClaimed_Refused()
    {
        var tracker = await CreateOneAsync();
        var state = await ReadyAsync(tracker);
        Assert.True(await tracker.TrySetStatusAsync(state, BatchStatus.WaitingForFiles, "why", null, Now, CancellationToken.None));
        await tracker.TryClaimAsync(state, Products, "n", Now, CancellationToken.None);

        var late = await tracker.TrySetStatusAsync(state, BatchStatus.Stale, "late", null, Now, CancellationToken.None);

        Assert.False(late);
        var read = await tracker.GetAsync(Batch, CancellationToken.None);
        Assert.Equal((BatchStatus.Claimed, (string?)null), (read!.Status, read.StatusReason));
    }

    [Fact]
    public async Task TryBeginRunAsync_TwoClients_OnlyOneBeginsTheVersion()
    {
        var (first, second) = await CreateSutAsync();
        var claimed = (await first.TryClaimAsync(await ReadyAsync(first), Products, "n", Now, CancellationToken.None))!;

        var begun = await Task.WhenAll(
            first.TryBeginRunAsync(Batch, claimed.Version, Now, CancellationToken.None),
            second.TryBeginRunAsync(Batch, claimed.Version, Now, CancellationToken.None));

        Assert.Single(begun, b => b);
        var state = await first.GetAsync(Batch, CancellationToken.None);
        Assert.Equal(BatchStep.Claimed, state!.RunStep);
        Assert.True(state.HasUnfinishedRun);
    }

    [Fact]
    public async Task TryRecordStepAsync_AfterFailed_FinalAndReasonKept()
    {
        var tracker = await CreateOneAsync();
        var claimed = (await tracker.TryClaimAsync(await ReadyAsync(tracker), Products, "n", Now, CancellationToken.None))!;
        Assert.False(await tracker.TryRecordStepAsync(Batch, claimed.Version, BatchStep.Validated, null, Now, CancellationToken.None));
        await tracker.TryBeginRunAsync(Batch, claimed.Version, Now, CancellationToken.None);

        Assert.True(await tracker.TryRecordStepAsync(Batch, claimed.Version, BatchStep.Validated, null, Now, CancellationToken.None));
        Assert.True(await tracker.TryRecordStepAsync(Batch, claimed.Version, BatchStep.Failed, "overflow on 2024-03-01", Now, CancellationToken.None));
        var after = await tracker.TryRecordStepAsync(Batch, claimed.Version, BatchStep.Archived, null, Now, CancellationToken.None);

        Assert.False(after);
        var state = await tracker.GetAsync(Batch, CancellationToken.None);
        Assert.Equal((BatchStep.Failed, "overflow on 2024-03-01", false), (state!.RunStep, state.StepReason, state.HasUnfinishedRun));
        Assert.Equal(Now, state.StepAt);
    }

    [Fact]
    public async Task TryBeginRunAsync_NotTheLatestVersion_Refused()
    {
        var tracker = await CreateOneAsync();
        var claimed = (await tracker.TryClaimAsync(await ReadyAsync(tracker), Products, "n", Now, CancellationToken.None))!;

        Assert.False(await tracker.TryBeginRunAsync(Batch, claimed.Version + 1, Now, CancellationToken.None));
        Assert.False(await tracker.TryBeginRunAsync("2024-03-02", 1, Now, CancellationToken.None));
    }

    [Fact]
    public async Task RequestRerunAsync_KnownBatch_NewRevisionTheNextClaimTakesAsVersionTwo()
    {
        var tracker = await CreateOneAsync();
        var claimed = (await tracker.TryClaimAsync(await ReadyAsync(tracker), Products, "n", Now, CancellationToken.None))!;
        await tracker.MarkStartedAsync(Batch, claimed.Version, Now, CancellationToken.None);

        var rerun = await tracker.RequestRerunAsync(Batch, Now, CancellationToken.None);
        var second = await tracker.TryClaimAsync(rerun!, Products, BatchExecutionInput.NameFor(Batch, 2), Now, CancellationToken.None);

        Assert.True(rerun!.HasUnclaimedWork);
        Assert.Equal(2, second!.Version);
        Assert.Equal(claimed.ClaimedOrdersKeys, second.ClaimedOrdersKeys);
        Assert.Null(await tracker.RequestRerunAsync("2024-03-09", Now, CancellationToken.None));
    }
}
