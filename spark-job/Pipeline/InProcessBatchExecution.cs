using System.Text;
using KpiPipeline.Batching;
using KpiPipeline.Lake;
using KpiPipeline.Transform;

namespace KpiPipeline.Pipeline;

/// <summary>A daily batch version being run: the old name of what the progress display and results show.</summary>
public sealed record PendingBatch(DateOnly BatchDate, int NextVersion, IReadOnlyList<string> OrdersKeys, IReadOnlyList<string> OrderItemsKeys, int NewFiles);

/// <summary>What validating a batch decided, as far as the run is concerned.</summary>
/// <param name="Rejection">Why the batch was rejected, when it was.</param>
public sealed record ValidationOutcome(bool BatchAccepted, string Summary, string? Rejection = null);

/// <summary>Validates one batch manifest (the validator container's work, run in-process).</summary>
public delegate Task<ValidationOutcome> ValidateBatch(string manifestKey, CancellationToken cancellationToken);

public sealed record BatchRunResult(PendingBatch Batch, string ManifestKey, ValidationOutcome Validation, KpiJobResult? Transformation,
    TimeSpan ValidationElapsed, TimeSpan TransformationElapsed);

/// <summary>
/// Runs one claimed batch version in-process — validate, transform, store, archive: what the state machine does
/// in AWS — recording each step in the tracker as it is done, and going on from the recorded step when an earlier
/// run stopped. Every step repeats safely: the validator finds files it already moved (the manifest lists them),
/// the KPI job recomputes from the manifest, archiving skips what is archived. A data problem ends the version
/// as failed with its reason; an infrastructure failure leaves the step as it was, for the next run to resume.
/// </summary>
/// <remarks>
/// While a batch is validated and its KPI job runs, the next two batches are validated ahead, one after another
/// (validating a batch reads and writes only that batch's files, and a core would otherwise idle whenever the KPI
/// job runs alone): as in AWS, where executions of different batches overlap, each batch's steps stay in its own
/// order and in the tracker. The next batch's products and orders are read while a batch's KPI job runs, and its job
/// starts once this one's lines are joined; its curated objects stay unpublished until this batch is done, so KPI
/// jobs still take effect one after another, in date order, since a batch recomputes dates an earlier one wrote.
/// </remarks>
public sealed class InProcessBatchExecution(
    IObjectStore store, IBatchTracker tracker, ValidateBatch validate, KpiJob job, TimeProvider clock, StepPause pause,
    IProgress<JobProgress>? progress, Action<PendingBatch>? starting)
{
    /// <summary>
    /// How many of the following batches are validated ahead of the one whose KPI job runs: with one, the KPI job's
    /// last part ran alone whenever the next batch's validation had finished before it.
    /// </summary>
    private const int ValidatedAhead = 2;

    /// <summary>The following batches' validations, in batch order; each starts once the one before it is done.</summary>
    private readonly List<(BatchExecution Execution, Task<ValidationPhase> Phase)> _ahead = [];

    /// <summary>The next batch's KPI job, started when this batch's join was done; null when none was.</summary>
    private RunningJob? _jobAhead;

    /// <summary>The next batch's KPI job inputs, read while this batch's job runs; null when none are being read.</summary>
    private (BatchExecution Execution, Task<KpiJobInputs> Inputs)? _prepared;

    /// <summary>Set when the run stops: no further validation ahead starts.</summary>
    private volatile bool _stopped;

    public async Task<BatchRunResult?> RunAsync(BatchExecution execution, IReadOnlyList<BatchExecution> following, CancellationToken cancellationToken)
    {
        var input = execution.Input;
        RunningJob? running = null;
        try
        {
            var manifest = await BatchManifest.ReadAsync(store, input.ManifestKey, cancellationToken).ConfigureAwait(false);
            var batch = new PendingBatch(manifest.BatchDate, manifest.Version, manifest.OrdersKeys, manifest.OrderItemsKeys,
                manifest.OrdersKeys.Count + manifest.OrderItemsKeys.Count);
            starting?.Invoke(batch);
            var validating = ValidationOfAsync(execution, manifest, cancellationToken);
            ValidateAhead(validating, following, cancellationToken);
            var validated = await validating.ConfigureAwait(false);
            if (validated.Superseded)
                return null;
            if (!validated.Outcome.BatchAccepted)
                return new BatchRunResult(batch, input.ManifestKey, validated.Outcome, null, validated.Elapsed, TimeSpan.Zero);

            var started = clock.GetTimestamp();
            KpiJobResult transformation;
            if (execution.From == BatchStep.Stored)
            {
                transformation = await job.ArchiveOnlyAsync(input.ManifestKey, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                running = TakeJobAhead(execution) ?? StartJob(execution, following, Task.CompletedTask, PreparedFor(execution), cancellationToken);
                running.Progress.Attach(progress);
                var outcome = await running.Outcome.ConfigureAwait(false);
                if (outcome.Superseded)
                {
                    running.Done.TrySetResult();
                    return null;
                }
                transformation = outcome.Result;
            }
            await RecordAsync(input, BatchStep.Archived, null, cancellationToken).ConfigureAwait(false);
            running?.Done.TrySetResult();
            return new BatchRunResult(batch, input.ManifestKey, validated.Outcome, transformation, validated.Elapsed, clock.GetElapsedTime(started));
        }
        catch (Exception e) when (e is InvalidDataException or ObjectNotFoundException or InvalidObjectKeyException)
        {
            // A retry cannot fix it: the batch ends here and says why (`kpi-job batches`); `kpi-job rerun` runs it again.
            await RecordAsync(input, BatchStep.Failed, e.Message, CancellationToken.None).ConfigureAwait(false);
            running?.Done.TrySetException(e);
            await AbandonAheadAsync().ConfigureAwait(false);
            throw;
        }
        catch (Exception e)
        {
            running?.Done.TrySetException(e);
            await AbandonAheadAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts a version's KPI job. When its lines are joined and written (not yet visible), it waits for
    /// <paramref name="previousDone"/> — the batch before, whose KPIs read its dates' curated objects — and then
    /// starts the next batch's job (<see cref="StartJobAhead"/>), so that batch joins while this one finishes.
    /// </summary>
    private RunningJob StartJob(BatchExecution execution, IReadOnlyList<BatchExecution> following, Task previousDone,
        Task<KpiJobInputs>? prepared, CancellationToken cancellationToken)
    {
        var input = execution.Input;
        var running = new RunningJob(execution);
        var superseded = false;
        // Transformed and stored are recorded from inside the job, as it passes them.
        var steps = new KpiJobSteps(
            Transformed: async token => superseded |= !await RecordAsync(input, BatchStep.Transformed, null, token).ConfigureAwait(false),
            Stored: async token => superseded |= !await RecordAsync(input, BatchStep.Stored, null, token).ConfigureAwait(false),
            Joined: async token =>
            {
                await previousDone.WaitAsync(token).ConfigureAwait(false);
                StartJobAhead(following, running.Done.Task, token);
            });
        PrepareAhead(following, cancellationToken);
        running.Outcome = RunAsync();
        return running;

        async Task<JobOutcome> RunAsync()
        {
            var result = await job.RunAsync(input.ManifestKey, running.Progress, cancellationToken, steps, prepared).ConfigureAwait(false);
            return new JobOutcome(result, superseded);
        }
    }

    /// <summary>This version's job when the batch before started it; the run takes it over.</summary>
    private RunningJob? TakeJobAhead(BatchExecution execution)
    {
        if (_jobAhead is not { } ahead || ahead.Execution != execution)
            return null;
        _jobAhead = null;
        return ahead;
    }

    /// <summary>
    /// Starts the next batch's KPI job while this one commits, computes, stores and archives (a core idled there): only
    /// once its validation ahead accepted it, and it commits nothing before this batch is done (see <see cref="StartJob"/>).
    /// A run that stops abandons it before it commits: its objects are never made visible, and the batch runs again
    /// from its validated step.
    /// </summary>
    private void StartJobAhead(IReadOnlyList<BatchExecution> following, Task thisDone, CancellationToken cancellationToken)
    {
        if (_stopped || following.Count == 0)
            return;
        var next = following[0];
        if (_ahead.Find(a => a.Execution == next) is not { Phase: { IsCompletedSuccessfully: true } validating }
            || validating.Result is not { Superseded: false, Outcome.BatchAccepted: true })
            return;
        _jobAhead = StartJob(next, [.. following.Skip(1)], thisDone, PreparedFor(next), cancellationToken);
    }

    /// <summary>The inputs read ahead for this version, if they were; the run takes them over.</summary>
    private Task<KpiJobInputs>? PreparedFor(BatchExecution execution)
    {
        if (_prepared is not { } prepared || prepared.Execution != execution)
            return null;
        _prepared = null;
        return prepared.Inputs;
    }

    /// <summary>
    /// Reads the next batch's KPI job inputs (products, orders) once its validation ahead has accepted it, while this
    /// batch's job runs: a batch's job otherwise began with them on one core while the other idled. They are only
    /// read, from files of that batch alone, so nothing of this batch's changes them; a batch validation rejects, or
    /// one superseded, gets none.
    /// </summary>
    private void PrepareAhead(IReadOnlyList<BatchExecution> following, CancellationToken cancellationToken)
    {
        if (following.Count == 0 || _ahead.Find(a => a.Execution == following[0]) is not { Phase: { } validating } || _stopped)
            return;
        var next = following[0];
        _prepared = (next, Task.Run(async () =>
        {
            var validated = await validating.ConfigureAwait(false);
            if (_stopped || validated.Superseded || !validated.Outcome.BatchAccepted)
                throw new OperationCanceledException("The batch's KPI job will not run in this run.");
            return await job.PrepareAsync(next.Input.ManifestKey, cancellationToken).ConfigureAwait(false);
        }, cancellationToken));
    }

    /// <summary>What validating a version decided (or what an earlier run's validation decided), and how long it took.</summary>
    private sealed record ValidationPhase(ValidationOutcome Outcome, TimeSpan Elapsed, bool Superseded);

    /// <summary>The version's validation: the one started ahead of it, or done now.</summary>
    private Task<ValidationPhase> ValidationOfAsync(BatchExecution execution, BatchManifest manifest, CancellationToken cancellationToken)
    {
        var ahead = _ahead.FindIndex(a => a.Execution == execution);
        if (ahead >= 0)
        {
            var phase = _ahead[ahead].Phase;
            _ahead.RemoveAt(ahead);
            return phase;
        }
        return ValidateAsync(execution, manifest, cancellationToken);
    }

    /// <summary>
    /// Starts validating the next claimed batches up to <see cref="ValidatedAhead"/>, one after another: the first
    /// beside this batch's own validation (a core would idle otherwise), each further one when the one before it is done.
    /// </summary>
    /// <remarks>
    /// With a pause point set (the crash tests' hook), the first starts after this batch's validation instead, so that
    /// batches reach a point in batch order and a test knows which batch a kill stopped there.
    /// </remarks>
    private void ValidateAhead(Task<ValidationPhase> validating, IReadOnlyList<BatchExecution> following, CancellationToken cancellationToken)
    {
        foreach (var next in following.Take(ValidatedAhead))
        {
            if (next.From != BatchStep.Claimed || _ahead.Exists(a => a.Execution == next))
                continue;
            Task before = _ahead.Count > 0 ? _ahead[^1].Phase : pause.Enabled ? validating : Task.CompletedTask;
            _ahead.Add((next, Task.Run(async () =>
            {
                await before.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                // A run that stopped starts no further validation: that batch is validated when the run resumes.
                if (_stopped)
                    throw new OperationCanceledException("The run stopped before this batch's validation began.");
                return await ValidateAsync(next, null, cancellationToken).ConfigureAwait(false);
            }, cancellationToken)));
        }
    }

    private async Task<ValidationPhase> ValidateAsync(BatchExecution execution, BatchManifest? manifest, CancellationToken cancellationToken)
    {
        var input = execution.Input;
        var started = clock.GetTimestamp();
        if (execution.From != BatchStep.Claimed)
        {
            manifest ??= await BatchManifest.ReadAsync(store, input.ManifestKey, cancellationToken).ConfigureAwait(false);
            return new ValidationPhase(await EarlierValidationAsync(manifest, cancellationToken).ConfigureAwait(false), TimeSpan.Zero, false);
        }
        pause.At(BatchStep.Claimed.Name());
        var validation = await validate(input.ManifestKey, cancellationToken).ConfigureAwait(false);
        if (!validation.BatchAccepted)
        {
            await RecordAsync(input, BatchStep.Failed, $"rejected by validation: {validation.Rejection}", cancellationToken).ConfigureAwait(false);
            return new ValidationPhase(validation, clock.GetElapsedTime(started), false);
        }
        var recorded = await RecordAsync(input, BatchStep.Validated, null, cancellationToken).ConfigureAwait(false);
        return new ValidationPhase(validation, clock.GetElapsedTime(started), !recorded);
    }

    /// <summary>
    /// The run stops here: starts no further validation and waits for the one running, if any, so nothing is left
    /// running. Whatever it did is recorded in the tracker, and the next run goes on from there.
    /// </summary>
    private async Task AbandonAheadAsync()
    {
        _stopped = true;
        foreach (var (_, phase) in _ahead)
        {
            // The error that stopped the run is the one to report; these batches are validated again when the run resumes.
            await ((Task)phase).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _ahead.Clear();
        if (_prepared is { } prepared)
            await ((Task)prepared.Inputs).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _prepared = null;
        if (_jobAhead is { } ahead)
        {
            // It waits for this batch, which has stopped: it fails there without committing anything.
            await ((Task)ahead.Outcome).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _jobAhead = null;
    }

    /// <summary>What a KPI job run returned, and whether its version was superseded while it ran.</summary>
    private sealed record JobOutcome(KpiJobResult Result, bool Superseded);

    /// <summary>A version's KPI job under way.</summary>
    private sealed class RunningJob(BatchExecution execution)
    {
        public BatchExecution Execution { get; } = execution;

        public Task<JobOutcome> Outcome { get; set; } = null!;

        /// <summary>Completed when the version's run is over (archived, superseded, or stopped with the error).</summary>
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Its progress, shown once the run reaches the version (a job started ahead reports nothing before).</summary>
        public DeferredProgress Progress { get; } = new();
    }

    private sealed class DeferredProgress : IProgress<JobProgress>
    {
        private volatile IProgress<JobProgress>? _target;

        public void Attach(IProgress<JobProgress>? target) => _target = target;

        public void Report(JobProgress value) => _target?.Report(value);
    }

    /// <summary>Records the step and pauses there when asked; false when the version was superseded (or had ended).</summary>
    private async Task<bool> RecordAsync(BatchExecutionInput input, BatchStep step, string? reason, CancellationToken cancellationToken)
    {
        var recorded = await tracker.TryRecordStepAsync(input.BatchId, input.Version, step, reason, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (recorded)
            pause.At(step.Name());
        return recorded;
    }

    /// <summary>The validator's summary from its report, for a version whose validation an earlier run did.</summary>
    private async Task<ValidationOutcome> EarlierValidationAsync(BatchManifest manifest, CancellationToken cancellationToken)
    {
        var key = LakeLayout.ValidationReportKey(manifest.BatchDate, manifest.Version, "txt");
        var summary = "";
        if (await store.ExistsAsync(key, cancellationToken).ConfigureAwait(false))
        {
            await using var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            summary = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        return new ValidationOutcome(true, summary);
    }
}
