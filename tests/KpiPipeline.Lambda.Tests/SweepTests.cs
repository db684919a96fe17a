using KpiPipeline.Batching;
using KpiPipeline.Lambda.Tests.Infrastructure;
using KpiPipeline.Testing;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda.Tests;

[Collection(EmulatorFixture.CollectionName)]
public sealed class SweepTests(EmulatorFixture fixture)
{
    private const string Batch = "2024-01-01";
    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(120);

    [Fact]
    public async Task SweepAsync_IncompleteBatchPastTheQuietPeriod_ReportedStale()
    {
        await using var sut = await CreateSut();
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch));
        sut.Clock.Advance(StaleAfter + TimeSpan.FromMinutes(1));

        var result = await sut.SweepAsync();

        var outcome = Assert.Single(result["batches"]!.AsArray())!;
        Assert.Equal(("stale", "waiting for an order_items file"), ((string?)outcome["decision"], (string?)outcome["reason"]));
        var state = await sut.BatchAsync(Batch);
        Assert.Equal((BatchStatus.Stale, "waiting for an order_items file"), (state.Status, state.StatusReason));
        Assert.Contains(sut.Logs.Lines, l => l.Level == LogLevel.Warning && l.EventId == 18 && l.Message.Contains("no file for 121 minutes", StringComparison.Ordinal));
        Assert.Empty(sut.Recorder.Started);
    }

    [Fact]
    public async Task SweepAsync_WithinTheQuietPeriod_LeftWaiting()
    {
        await using var sut = await CreateSut();
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch));
        sut.Clock.Advance(StaleAfter - TimeSpan.FromMinutes(1));

        var result = await sut.SweepAsync();

        Assert.Equal("waiting", (string?)result["batches"]![0]!["decision"]);
        Assert.Equal(BatchStatus.WaitingForFiles, (await sut.BatchAsync(Batch)).Status);
    }

    [Fact]
    public async Task SweepAsync_StaleBatchThenItsLastFile_StartsNormally()
    {
        await using var sut = await CreateSut();
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch));
        sut.Clock.Advance(StaleAfter * 2);
        await sut.SweepAsync();

        await sut.HandleAsync(Keys.OrderItems(Batch));

        Assert.Equal(["2024-01-01-v1"], sut.Recorder.Started.Keys);
        Assert.Equal(BatchStatus.Started, (await sut.BatchAsync(Batch)).Status);
    }

    [Fact]
    public async Task SweepAsync_StaleBatchMissingListedFilesButWithBothKinds_ReleasedIncomplete()
    {
        await using var sut = await CreateSut();
        await sut.UploadAsync(Keys.ExpectedFiles(Batch), """{"orders_keys": ["part-0000.csv", "part-0001.csv"], "order_items_keys": ["part-0000.csv"]}""");
        await sut.HandleAsync(Keys.ExpectedFiles(Batch), Keys.Products, Keys.Orders(Batch), Keys.OrderItems(Batch));
        Assert.Empty(sut.Recorder.Started);
        sut.Clock.Advance(StaleAfter);

        var result = await sut.SweepAsync();

        Assert.Equal("released_incomplete", (string?)result["batches"]![0]!["decision"]);
        Assert.Equal(["2024-01-01-v1"], sut.Recorder.Started.Keys);
        Assert.Equal([Keys.Orders(Batch)], (await sut.ManifestAsync(Batch, 1)).OrdersKeys);
        Assert.Contains(sut.Logs.Lines, l => l.EventId == 19 && l.Message.Contains("part-0001.csv", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SweepAsync_ClaimThatWasNeverStarted_StartedOnce()
    {
        await using var sut = await CreateSut(recorder => new CrashingStarter(recorder));
        await Assert.ThrowsAsync<InjectedCrashException>(() => sut.HandleAsync(Keys.Products, Keys.Orders(Batch), Keys.OrderItems(Batch)));
        sut.Clock.Advance(TimeSpan.FromMinutes(5) + sut.Settings.InvocationBudget);

        var result = await sut.SweepAsync();
        var second = await sut.SweepAsync();

        Assert.Equal("restarted", (string?)result["batches"]![0]!["decision"]);
        Assert.Empty(second["batches"]!.AsArray());
        Assert.Equal(["2024-01-01-v1"], sut.Recorder.Started.Keys);
    }

    [Fact]
    public async Task SweepAsync_ReadyBatchWhoseProductsEventWasLost_Started()
    {
        await using var sut = await CreateSut();
        await sut.HandleAsync(Keys.Orders(Batch), Keys.OrderItems(Batch));
        // Products recorded without the release that follows it: what a lost or failed event leaves behind.
        await sut.Tracker.RecordProductsAsync(Keys.Products, S3Events.Bucket, sut.Clock.GetUtcNow(), CancellationToken.None);

        var result = await sut.SweepAsync();

        Assert.Equal("started", (string?)result["batches"]![0]!["decision"]);
        Assert.Equal(["2024-01-01-v1"], sut.Recorder.Started.Keys);
    }

    [Fact]
    public async Task SweepAsync_NothingOpen_ExaminesNothing()
    {
        await using var sut = await CreateSut();
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch), Keys.OrderItems(Batch));
        sut.Clock.Advance(StaleAfter * 10);

        var result = await sut.SweepAsync();

        Assert.Empty(result["batches"]!.AsArray());
        Assert.Equal(1, sut.Recorder.Calls);
    }

    private Task<LambdaSut> CreateSut(Func<RecordingStarter, IExecutionStarter>? starter = null) =>
        LambdaSut.CreateAsync(fixture, starter, StaleAfter);
}
