using KpiPipeline.Batching;
using KpiPipeline.Lake;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Pipeline;

/// <summary>One claimed batch version to run, from the step after <see cref="From"/>.</summary>
/// <param name="Resumed">An earlier run began it and stopped before it finished.</param>
public sealed record BatchExecution(BatchExecutionInput Input, BatchStep From, bool Resumed);

/// <summary>
/// Runs one batch version (in-process, or through the local state machine); null when it was superseded meanwhile.
/// <paramref name="following"/> are the versions that run after it, in order, for an executor that starts on them early.
/// </summary>
public delegate Task<TResult?> ExecuteBatch<TResult>(BatchExecution execution, IReadOnlyList<BatchExecution> following, CancellationToken cancellationToken) where TResult : class;

/// <summary>What a run says on standard error beside its results.</summary>
public interface IRunReport
{
    void Resumed(BatchExecution execution);

    void Ignored(string key, string reason);

    void IgnoredSummary(int count);

    void Waiting(string batchId, string reason);
}

/// <summary>
/// The local <c>run</c>, on the Lambda's batching logic: plays S3's part by delivering each object under
/// <c>raw/</c> as an event through <see cref="BatchArrivals"/> (key router, tracker, coordinator), and the
/// state machine's part with a starter that queues each started version for <typeparamref name="TResult"/>'s
/// executor. Before it looks for anything new it resumes every batch an earlier run left unfinished, from the
/// step the tracker recorded. The caller holds the lake's lock, so no other claimer can be alive: a claim
/// never started is started at once.
/// </summary>
public sealed class LocalBatchRun<TResult>(
    IObjectStore store, string bucket, IBatchTracker tracker, ExecuteBatch<TResult> execute, IRunReport report, TimeProvider clock, ILogger logger,
    StepPause? pause = null)
    where TResult : class
{
    private const string CreatedEvent = "ObjectCreated:Put";

    public async Task<IReadOnlyList<TResult>> RunAsync(CancellationToken cancellationToken)
    {
        var starter = new QueueingStarter(tracker, clock, pause ?? StepPause.None);
        var coordinator = new BatchCoordinator(tracker, _ => store, starter, clock, TimeSpan.Zero, logger);
        var results = new List<TResult>();

        // First what earlier runs left: runs begun and not finished, claims never started.
        var productsKey = await tracker.GetProductsKeyAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var state in tracker.ScanAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (state.HasUnfinishedRun)
                starter.Queue(new BatchExecution(InputOf(state), state.RunStep!.Value, Resumed: true));
            else if (state.HasUnstartedClaim)
                await coordinator.EvaluateAsync(state, productsKey, null, cancellationToken).ConfigureAwait(false);
        }
        await ExecuteQueuedAsync(starter, results, cancellationToken).ConfigureAwait(false);

        // Then every object in raw/, as the S3 events of its upload would report it.
        var arrivals = new List<ObjectArrival>();
        await foreach (var item in store.ListAsync(LakeLayout.StagePrefix(Stage.Raw), cancellationToken).ConfigureAwait(false))
            arrivals.Add(new ObjectArrival(arrivals.Count, CreatedEvent, null, bucket, item.Key, item.Size, item.Stamp is { } stamp ? $"{item.Key}@{stamp}" : null));
        var decided = new HashSet<string>(StringComparer.Ordinal);
        if (arrivals.Count > 0)
        {
            ArrivalsResult delivery;
            try
            {
                delivery = await new BatchArrivals(tracker, coordinator, _ => store, clock, logger).RecordAsync(arrivals, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidExpectedFilesException e)
            {
                throw new InvalidDataException(e.Message, e);
            }
            var ignored = delivery.Records.Where(r => r.Outcome == ArrivalOutcome.Ignored).ToList();
            foreach (var record in ignored)
                report.Ignored(record.Key, record.Reason!);
            if (ignored.Count > 0)
                report.IgnoredSummary(ignored.Count);
            foreach (var decision in delivery.Batches)
            {
                decided.Add(decision.BatchId);
                if (decision.Decision == Decisions.Waiting)
                    report.Waiting(decision.BatchId, decision.Reason!);
            }
        }

        // Batches no object touched may still have work: a re-run asked for, products that completed them.
        productsKey = await tracker.GetProductsKeyAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var state in tracker.ScanOpenAsync(cancellationToken).ConfigureAwait(false))
        {
            if (decided.Contains(state.BatchId))
                continue;
            foreach (var decision in await coordinator.EvaluateAsync(state, productsKey, null, cancellationToken).ConfigureAwait(false))
            {
                if (decision.Decision == Decisions.Waiting)
                    report.Waiting(decision.BatchId, decision.Reason!);
            }
        }
        await ExecuteQueuedAsync(starter, results, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// Runs one batch again with every file it has, as a new version (after fixing what made it fail): asks the
    /// tracker for a re-run, lets the coordinator claim it and runs it. Nothing else is looked at.
    /// </summary>
    /// <param name="expectedVersion">When given, the version the caller saw as the latest; another means the batch moved on meanwhile.</param>
    /// <exception cref="InvalidDataException">No such batch is tracked, or it is not at <paramref name="expectedVersion"/>.</exception>
    public async Task<IReadOnlyList<TResult>> RerunAsync(string batchId, int? expectedVersion, CancellationToken cancellationToken)
    {
        var current = await tracker.GetAsync(batchId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"no batch {batchId} is tracked in {tracker.Location} (see kpi-job batches)");
        if (expectedVersion is { } version && version != current.Version)
            throw new InvalidDataException($"batch {batchId} is at v{current.Version}, not v{version}: a re-run always runs its latest files as v{current.Version + 1}");
        var state = await tracker.RequestRerunAsync(batchId, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"no batch {batchId} is tracked in {tracker.Location}");
        var starter = new QueueingStarter(tracker, clock, pause ?? StepPause.None);
        var coordinator = new BatchCoordinator(tracker, _ => store, starter, clock, TimeSpan.Zero, logger);
        var productsKey = await tracker.GetProductsKeyAsync(cancellationToken).ConfigureAwait(false);
        foreach (var decision in await coordinator.EvaluateAsync(state, productsKey, null, cancellationToken).ConfigureAwait(false))
        {
            if (decision.Decision == Decisions.Waiting)
                report.Waiting(decision.BatchId, decision.Reason!);
        }
        var results = new List<TResult>();
        await ExecuteQueuedAsync(starter, results, cancellationToken).ConfigureAwait(false);
        return results;
    }

    private async Task ExecuteQueuedAsync(QueueingStarter starter, List<TResult> results, CancellationToken cancellationToken)
    {
        var executions = starter.Drain();
        for (var i = 0; i < executions.Count; i++)
        {
            var execution = executions[i];
            if (execution.Resumed)
                report.Resumed(execution);
            if (await execute(execution, executions.Skip(i + 1).ToList(), cancellationToken).ConfigureAwait(false) is { } result)
                results.Add(result);
        }
    }

    private BatchExecutionInput InputOf(BatchState state) =>
        new(state.Bucket ?? bucket, state.BatchId, state.Version, LakeLayout.ManifestKey(LakeLayout.TryParseDate(state.BatchId, out var date)
            ? date : throw new InvalidDataException($"Tracker item '{state.BatchId}' is not a batch date."), state.Version));

    /// <summary>
    /// The local stand-in for <c>StartExecution</c>: begins the version's run in the tracker (its step becomes
    /// claimed) and queues it. A version whose run had begun is queued from its recorded step, as a resume.
    /// </summary>
    private sealed class QueueingStarter(IBatchTracker tracker, TimeProvider clock, StepPause pause) : IExecutionStarter
    {
        private readonly SortedDictionary<(string BatchId, int Version), BatchExecution> _queued = [];

        public void Queue(BatchExecution execution) => _queued[(execution.Input.BatchId, execution.Input.Version)] = execution;

        public IReadOnlyList<BatchExecution> Drain()
        {
            // Date order, and for one date only its latest version: an older one was superseded before it ran.
            var latest = _queued.Values.GroupBy(e => e.Input.BatchId).Select(g => g.MaxBy(e => e.Input.Version)!).ToList();
            _queued.Clear();
            return latest;
        }

        public async Task<ExecutionStart> StartAsync(BatchExecutionInput input, CancellationToken cancellationToken)
        {
            pause.At(StepPause.Starting);
            if (await tracker.TryBeginRunAsync(input.BatchId, input.Version, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false))
            {
                Queue(new BatchExecution(input, BatchStep.Claimed, Resumed: false));
                return new ExecutionStart(input.ExecutionName, null, AlreadyExisted: false);
            }
            var state = await tracker.GetAsync(input.BatchId, cancellationToken).ConfigureAwait(false);
            if (state is { HasUnfinishedRun: true } && state.Version == input.Version)
                Queue(new BatchExecution(input, state.RunStep!.Value, Resumed: true));
            return new ExecutionStart(input.ExecutionName, null, AlreadyExisted: true);
        }
    }
}
