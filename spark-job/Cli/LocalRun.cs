using System.CommandLine;
using KpiPipeline.Batching;
using KpiPipeline.Lake;
using KpiPipeline.Pipeline;
using KpiPipeline.Transform;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Profiling;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>
/// What <c>run</c> and <c>rerun</c> share: the lake's lock, its batch tracker, and the batching logic driven
/// with the in-process executor or the local state machine.
/// </summary>
internal sealed class LocalRun : IAsyncDisposable
{
    private readonly CommandContext _context;
    private readonly LakeTarget _target;
    private readonly LakeLock _lock;

    private LocalRun(CommandContext context, LakeTarget target, LakeLock lakeLock, IBatchTracker tracker)
    {
        _context = context;
        _target = target;
        _lock = lakeLock;
        Tracker = tracker;
    }

    public IBatchTracker Tracker { get; }

    public StepPause Pause { get; } = StepPause.FromEnvironment();

    public static Option<bool> WaitOption() => new("--wait")
    {
        Description = "When another run holds the lake, wait for it to end instead of exiting 1.",
    };

    /// <summary>Takes the lake's lock (or waits for it) and opens its batch tracker.</summary>
    public static async Task<LocalRun> BeginAsync(CommandContext context, LakeTarget target, bool wait, CancellationToken cancellationToken)
    {
        var lakeLock = await LakeLock.AcquireAsync(target.LockPath, wait, context.Clock,
            () => context.Error.MarkupLine($"Waiting: another run holds this lake ({Markup.Escape(target.LockPath)})."), cancellationToken).ConfigureAwait(false);
        try
        {
            var tracker = await target.OpenTrackerAsync(cancellationToken).ConfigureAwait(false);
            if (tracker is SqliteBatchTracker local)
                await AdoptUntrackedBatchesAsync(context, target, local, cancellationToken).ConfigureAwait(false);
            return new LocalRun(context, target, lakeLock, tracker);
        }
        catch
        {
            lakeLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A lake processed by a kpi-job without batch tracking has manifests under <c>batches/</c> but no tracker rows:
    /// each such batch is recorded as finished at its latest version, so a late file adds to it rather than
    /// replacing it with a v1 that has only the late file.
    /// </summary>
    private static async Task AdoptUntrackedBatchesAsync(CommandContext context, LakeTarget target, SqliteBatchTracker tracker, CancellationToken cancellationToken)
    {
        var latest = new SortedDictionary<string, (string Key, int Version)>(StringComparer.Ordinal);
        await foreach (var info in target.Store.ListAsync("batches/", cancellationToken).ConfigureAwait(false))
        {
            if (!LakeLayout.TryParseManifestKey(info.Key, out var date, out var version))
                continue;
            var batchId = LakeLayout.FormatDate(date);
            if (!latest.TryGetValue(batchId, out var known) || version > known.Version)
                latest[batchId] = (info.Key, version);
        }
        foreach (var (batchId, (manifestKey, _)) in latest)
        {
            if (await tracker.GetAsync(batchId, cancellationToken).ConfigureAwait(false) is not null)
                continue;
            var manifest = await BatchManifest.ReadAsync(target.Store, manifestKey, cancellationToken).ConfigureAwait(false);
            if (await tracker.TryAdoptFinishedAsync(manifest, target.BucketName, context.Clock.GetUtcNow(), cancellationToken).ConfigureAwait(false))
                context.Error.MarkupLine($"Adopted batch {Markup.Escape(batchId)} v{manifest.Version}, processed before batch tracking.");
        }
    }

    public Task<IReadOnlyList<TResult>> RunAsync<TResult>(ExecuteBatch<TResult> execute, CancellationToken cancellationToken) where TResult : class =>
        Driver(execute).RunAsync(cancellationToken);

    /// <summary>The run with validation and the KPI job in this process; with <paramref name="rerun"/> only that batch, as a new version.</summary>
    public Task<IReadOnlyList<BatchRunResult>> RunInProcessAsync(IKpiEngine engine, IProgress<JobProgress>? progress, Action<PendingBatch>? starting,
        CancellationToken cancellationToken, (string BatchId, int? Version)? rerun = null)
    {
        var store = Pause.Watch(_target.Store);
        // The validator container's checks, streaming and frame-level, with their default settings.
        var validator = new BatchValidator(store, new ValidationOptions(), _context.Clock, _context.Logging.CreateLogger<BatchValidator>(), new FrameInspector());
        ValidateBatch validate = async (manifestKey, token) =>
        {
            var result = await validator.ValidateAsync(manifestKey, token).ConfigureAwait(false);
            return new ValidationOutcome(result.Outcome == BatchOutcome.Valid, result.Summary, result.RejectionReason);
        };
        var job = new KpiJob(store, _target.Kpis, engine, _context.Clock, _context.Logging.CreateLogger<KpiJob>());
        var execution = new InProcessBatchExecution(store, Tracker, validate, job, _context.Clock, Pause, progress, starting);
        var driver = Driver<BatchRunResult>(execution.RunAsync);
        return rerun is { } one ? driver.RerunAsync(one.BatchId, one.Version, cancellationToken) : driver.RunAsync(cancellationToken);
    }

    private LocalBatchRun<TResult> Driver<TResult>(ExecuteBatch<TResult> execute) where TResult : class =>
        new(_target.Store, _target.BucketName, Tracker, execute, new ConsoleRunReport(_context.Error), _context.Clock,
            _context.Logging.CreateLogger("KpiPipeline.Batching"), Pause);

    /// <summary>Releases the lock; the tracker belongs to the target.</summary>
    public ValueTask DisposeAsync()
    {
        _lock.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Resumes, skipped objects and waiting batches: on standard error, so standard output keeps its format.</summary>
    private sealed class ConsoleRunReport(IAnsiConsole error) : IRunReport
    {
        public void Resumed(BatchExecution execution) =>
            error.MarkupLine(Markup.Escape($"Resumed batch {execution.Input.BatchId} v{execution.Input.Version} from {execution.From.Name()}"));

        public void Ignored(string key, string reason) => error.MarkupLine(Markup.Escape($"Left alone: {key}: {reason}"));

        public void IgnoredSummary(int count) => error.MarkupLine(Markup.Escape($"{count} object(s) under raw/ fit no dataset and were left alone."));

        public void Waiting(string batchId, string reason) => error.MarkupLine(Markup.Escape($"Batch {batchId} waits: {reason}"));
    }
}
