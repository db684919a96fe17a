using System.Collections.Concurrent;
using KpiPipeline.Batching;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Pipeline;
using KpiPipeline.Stores;
using KpiPipeline.Testing;
using KpiPipeline.Transform;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Profiling;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiPipeline.SparkJob.Tests.Pipeline;

/// <summary>
/// A local run starts a batch's KPI job at the previous batch's join, and that job starts the next one at its own
/// join — which can come before the run has taken the first one over. Here the interleaving is forced rather than
/// left to the scheduler (under load it happened about once in a hundred runs): the run is held at the start of the
/// second batch until the third batch's job, started ahead by the second's, is reading its items.
/// </summary>
public sealed class JobsStartedAheadTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private static readonly DateOnly[] Days = [new(2024, 3, 1), new(2024, 3, 2), new(2024, 3, 3), new(2024, 3, 4)];

    private readonly TempLake _shop = new();
    private readonly TempLake _lake = new();
    private readonly TempLake _oneAtATime = new();

    [Fact]
    public async Task NextJobStartedBeforeTheRunTookThisOne_EachBatchIsJoinedOnce_AndKpisEqualOneBatchAtATime()
    {
        await GenerateShopAsync();
        CopyRaw(_lake, _ => true);
        var itemsRead = Days.ToDictionary(day => day, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var store = new WatchedStore(_lake.Store, itemsRead);
        var heldUntilThirdJobRead = false;
        void Starting(PendingBatch batch)
        {
            if (batch.BatchDate == Days[1])
                heldUntilThirdJobRead = itemsRead[Days[2]].Task.Wait(Patience);
        }

        var results = await RunAsync(_lake, store, Starting).WaitAsync(Patience);

        Assert.True(heldUntilThirdJobRead, "the third batch's job never started ahead while the run was held at the second batch");
        Assert.Equal(Days, results.Select(r => r.Batch.BatchDate));
        Assert.All(results, r => Assert.NotNull(r.Transformation));
        var itemKeys = Directory.EnumerateFiles(Path.Combine(_shop.Root, "raw", "order_items"), "*.csv", SearchOption.AllDirectories).Count();
        Assert.Equal(itemKeys, store.ItemReads.Count);
        Assert.All(store.ItemReads, read => Assert.True(read.Value == 1, $"{read.Key} was read by {read.Value} jobs"));

        await AssertKpisEqualOneBatchAtATimeAsync();
    }

    [Fact]
    public async Task RunStoppedByAnInfrastructureFailure_WithTheNextJobStartedAhead_EndsWithThatFailure_AndTheNextRunResumesIt()
    {
        await GenerateShopAsync();
        CopyRaw(_lake, _ => true);
        var itemsRead = Days.ToDictionary(day => day, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var store = new WatchedStore(_lake.Store, itemsRead)
        {
            // The second batch's archiving fails, once the third batch's job (started at the second's join) is joining.
            FailMove = key => key.StartsWith($"validated/order_items/{LakeLayout.FormatDate(Days[1])}/", StringComparison.Ordinal)
                && itemsRead[Days[2]].Task.Wait(Patience),
        };

        var failure = await Assert.ThrowsAsync<IOException>(() => RunAsync(_lake, store, null).WaitAsync(Patience));

        Assert.Contains("injected", failure.Message, StringComparison.Ordinal);
        var curated = Directory.EnumerateFiles(_lake.PathOf("curated"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(curated, name => name!.Contains(LakeLayout.FormatDate(Days[2]), StringComparison.Ordinal));
        await using (var tracker = await SqliteBatchTracker.OpenInLakeAsync(_lake.Root, CancellationToken.None))
        {
            Assert.Equal(BatchStep.Validated, (await tracker.GetAsync(LakeLayout.FormatDate(Days[2]), CancellationToken.None))!.RunStep);
            Assert.NotEqual(BatchStep.Archived, (await tracker.GetAsync(LakeLayout.FormatDate(Days[1]), CancellationToken.None))!.RunStep);
        }

        var resumed = await RunAsync(_lake, _lake.Store, null).WaitAsync(Patience);

        Assert.Equal(Days.Skip(1), resumed.Select(r => r.Batch.BatchDate));
        await AssertKpisEqualOneBatchAtATimeAsync();
    }

    [Fact]
    public async Task RunStoppedBeforeTakingAJobStartedAhead_EndsWithItsError_AndTheNextRunResumes()
    {
        await GenerateShopAsync();
        CopyRaw(_lake, _ => true);
        var itemsRead = Days.ToDictionary(day => day, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var store = new WatchedStore(_lake.Store, itemsRead);
        // The run fails at the third batch, after its job (started ahead) passed its join and started the fourth's.
        void Starting(PendingBatch batch)
        {
            if (batch.BatchDate == Days[2] && itemsRead[Days[3]].Task.Wait(Patience))
                throw new InvalidOperationException("injected: the run stopped here");
        }

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(_lake, store, Starting).WaitAsync(Patience));

        Assert.Contains("injected", failure.Message, StringComparison.Ordinal);
        var curated = Directory.EnumerateFiles(_lake.PathOf("curated"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(curated, name => name!.Contains(LakeLayout.FormatDate(Days[3]), StringComparison.Ordinal));
        var resumed = await RunAsync(_lake, _lake.Store, null).WaitAsync(Patience);
        Assert.Equal(Days.Skip(2), resumed.Select(r => r.Batch.BatchDate));
        await AssertKpisEqualOneBatchAtATimeAsync();
    }

    /// <summary>The lake's KPIs equal those of a lake that got each day's files only once the day before was run (no batch ahead of another).</summary>
    private async Task AssertKpisEqualOneBatchAtATimeAsync()
    {
        foreach (var day in Days)
        {
            CopyRaw(_oneAtATime, path => !path.Contains("order", StringComparison.Ordinal) || path.Contains(LakeLayout.FormatDate(day), StringComparison.Ordinal));
            await RunAsync(_oneAtATime, _oneAtATime.Store, null).WaitAsync(Patience);
        }
        var expected = await KpisAsync(_oneAtATime);
        var stored = await KpisAsync(_lake);
        Assert.Equal(Days, expected.Daily.Select(row => row.Date));
        Assert.Equal(expected.Daily, stored.Daily);
        Assert.Equal(expected.Category, stored.Category);
    }

    private async Task GenerateShopAsync()
    {
        var generated = await KpiJobProcess.RunAsync("generate", "--out", _shop.Root, "--items", "600", "--days", "4", "--seed", "7");
        Assert.True(generated.ExitCode == 0, generated.StandardError);
    }

    /// <summary>Copies the generated raw files that <paramref name="include"/> takes into the lake's raw/ (those it has are kept).</summary>
    private void CopyRaw(TempLake lake, Func<string, bool> include)
    {
        var raw = Path.Combine(_shop.Root, "raw");
        foreach (var file in Directory.EnumerateFiles(raw, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(raw, file);
            var target = lake.PathOf("raw/" + relative.Replace(Path.DirectorySeparatorChar, '/'));
            if (!include(relative) || File.Exists(target) || File.Exists(lake.PathOf("processed/" + relative.Replace(Path.DirectorySeparatorChar, '/'))))
                continue;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>What <c>kpi-job run</c> does in-process, on <paramref name="store"/>.</summary>
    private static async Task<IReadOnlyList<BatchRunResult>> RunAsync(TempLake lake, IObjectStore store, Action<PendingBatch>? starting)
    {
        await using var tracker = await SqliteBatchTracker.OpenInLakeAsync(lake.Root, CancellationToken.None);
        await using var kpis = await SqliteKpiStore.OpenInLakeAsync(lake.Root, CancellationToken.None);
        var validator = new BatchValidator(store, new ValidationOptions(), TimeProvider.System, NullLogger<BatchValidator>.Instance, new FrameInspector());
        ValidateBatch validate = async (manifestKey, token) =>
        {
            var result = await validator.ValidateAsync(manifestKey, token);
            return new ValidationOutcome(result.Outcome == BatchOutcome.Valid, result.Summary, result.RejectionReason);
        };
        var job = new KpiJob(store, kpis, new InProcessKpiEngine(store), TimeProvider.System, NullLogger<KpiJob>.Instance);
        var execution = new InProcessBatchExecution(store, tracker, validate, job, TimeProvider.System, StepPause.None, null, starting);
        var run = new LocalBatchRun<BatchRunResult>(store, "lake", tracker, execution.RunAsync, new SilentReport(), TimeProvider.System,
            NullLogger.Instance);
        return await run.RunAsync(CancellationToken.None);
    }

    private static async Task<KpiSnapshot> KpisAsync(TempLake lake)
    {
        await using var kpis = await SqliteKpiStore.OpenInLakeAsync(lake.Root, CancellationToken.None);
        return await kpis.ReadAsync(null, null, CancellationToken.None);
    }

    public void Dispose()
    {
        _shop.Dispose();
        _lake.Dispose();
        _oneAtATime.Dispose();
    }

    private sealed class SilentReport : IRunReport
    {
        public void Resumed(BatchExecution execution)
        {
        }

        public void Ignored(string key, string reason)
        {
        }

        public void IgnoredSummary(int count)
        {
        }

        public void Waiting(string batchId, string reason)
        {
        }
    }

    /// <summary>Counts the reads of each validated items object (only a KPI job reads them), and tells when a date's were first read.</summary>
    private sealed class WatchedStore(IObjectStore inner, Dictionary<DateOnly, TaskCompletionSource> itemsRead) : IObjectStore
    {
        private static readonly string ItemsPrefix = LakeLayout.StagePrefix(Stage.Validated) + "order_items/";

        public ConcurrentDictionary<string, int> ItemReads { get; } = new(StringComparer.Ordinal);

        /// <summary>Moves of the objects it takes fail, as a store that has gone away would.</summary>
        public Func<string, bool> FailMove { get; init; } = _ => false;

        public string Describe(string key) => inner.Describe(key);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => inner.ExistsAsync(key, cancellationToken);

        public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
        {
            if (key.StartsWith(ItemsPrefix, StringComparison.Ordinal) && LakeLayout.TryParseDate(key.AsSpan(ItemsPrefix.Length, 10).ToString(), out var day))
            {
                ItemReads.AddOrUpdate(key, 1, (_, reads) => reads + 1);
                itemsRead[day].TrySetResult();
            }
            return inner.OpenReadAsync(key, cancellationToken);
        }

        public Task<IObjectWriter> CreateAsync(string key, CancellationToken cancellationToken) => inner.CreateAsync(key, cancellationToken);

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => inner.PutAsync(key, content, cancellationToken);

        public Task<bool> MoveAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken) =>
            FailMove(sourceKey) ? throw new IOException($"injected: the store failed moving {sourceKey}") : inner.MoveAsync(sourceKey, destinationKey, cancellationToken);

        public Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken) => inner.CopyAsync(sourceKey, destinationKey, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }
}
