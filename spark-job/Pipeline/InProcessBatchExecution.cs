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

    /// <summary>
    /// Guards what the run and the jobs started ahead share: a batch's job starts the next one from its join, on the
    /// thread pool, while the run may already be reading that next batch's manifest.
    /// </summary>
    private readonly Lock _gate = new();

    /// <summary>The following batches' validations, in batch order; each starts once the one before it is done.</summary>
    private readonly List<(BatchExecution Execution, Task<ValidationPhase> Phase)> _ahead = [];

    /// <summary>
    /// KPI jobs started ahead, by version, until the run takes each over. A job started ahead starts the one after it
    /// at its own join, which can come before the run has taken it: one slot for both would lose the first.
    /// </summary>
    private readonly Dictionary<BatchExecution, RunningJob> _jobsAhead = [];

    /// <summary>KPI job inputs read ahead, by version, until that version's job takes them.</summary>
    private readonly Dictionary<BatchExecution, Task<KpiJobInputs>> _prepared = [];

    /// <summary>Set (under <see cref="_gate"/>) when the run stops: nothing further starts ahead.</summary>
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
            running = TakeJobAhead(execution);
            if (validated.Superseded || !validated.Outcome.BatchAccepted)
            {
                // A job started ahead of this batch waited for the same validation, and ends without running.
                if (running is not null)
                    await running.Outcome.ConfigureAwait(false);
                running?.Done.TrySetResult();
                return validated.Superseded ? null : new BatchRunResult(batch, input.ManifestKey, validated.Outcome, null, validated.Elapsed, TimeSpan.Zero);
            }

            var started = clock.GetTimestamp();
            KpiJobResult transformation;
            if (execution.From == BatchStep.Stored)
            {
                transformation = await job.ArchiveOnlyAsync(input.ManifestKey, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                running ??= StartJob(execution, following, Task.CompletedTask, null, PreparedFor(execution), cancellationToken);
                running.Progress.Attach(progress);
                var outcome = await running.Outcome.ConfigureAwait(false);
                if (outcome.Superseded)
                {
                    running.Done.TrySetResult();
                    return null;
                }
                transformation = outcome.Result!;
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
            await AbandonAheadAsync(e).ConfigureAwait(false);
            throw;
        }
        catch (Exception e)
        {
            running?.Done.TrySetException(e);
            await AbandonAheadAsync(e).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts a version's KPI job. When its lines are joined and written (not yet visible), it waits for
    /// <paramref name="previousDone"/> — the batch before, whose KPIs read its dates' curated objects — and then
    /// starts the next batch's job (<see cref="StartJobAhead"/>), so that batch joins while this one finishes.
    /// </summary>
    /// <param name="validation">For a job started ahead, its version's validation: it runs once that accepted it.</param>
    private RunningJob StartJob(BatchExecution execution, IReadOnlyList<BatchExecution> following, Task previousDone,
        Task<ValidationPhase>? validation, Task<KpiJobInputs>? prepared, CancellationToken cancellationToken)
    {
        var input = execution.Input;
        var running = new RunningJob();
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
        // On the thread pool: a job started ahead is registered under the lock, and must not run its first steps there.
        running.Outcome = Task.Run(RunAsync, cancellationToken);
        return running;

        async Task<JobOutcome> RunAsync()
        {
            if (validation is not null && await validation.ConfigureAwait(false) is not { Superseded: false, Outcome.BatchAccepted: true })
                return new JobOutcome(null, Superseded: true);
            var result = await job.RunAsync(input.ManifestKey, running.Progress, cancellationToken, steps, prepared).ConfigureAwait(false);
            return new JobOutcome(result, superseded);
        }
    }

    /// <summary>This version's job when the batch before started it; the run takes it over.</summary>
    private RunningJob? TakeJobAhead(BatchExecution execution)
    {
        lock (_gate)
            return _jobsAhead.Remove(execution, out var ahead) ? ahead : null;
    }

    /// <summary>
    /// Starts the next batch's KPI job while this one commits, computes, stores and archives (a core idled there): it
    /// runs once its validation ahead (finished or still going) accepted it, and it commits nothing before this batch is
    /// done (see <see cref="StartJob"/>). A run that stops abandons it before it commits: its objects are never made
    /// visible, and the batch runs again from its validated step.
    /// </summary>
    private void StartJobAhead(IReadOnlyList<BatchExecution> following, Task thisDone, CancellationToken cancellationToken)
    {
        if (following.Count == 0)
            return;
        var next = following[0];
        // Under the lock, so that a run stopping now either sees the job (and waits for it) or it never starts.
        lock (_gate)
        {
            if (_stopped || ValidationAhead(next) is not { } validating)
                return;
            _jobsAhead.Add(next, StartJob(next, [.. following.Skip(1)], thisDone, validating, PreparedFor(next), cancellationToken));
        }
    }

    /// <summary>The inputs read ahead for this version, if they were; the run takes them over.</summary>
    private Task<KpiJobInputs>? PreparedFor(BatchExecution execution)
    {
        lock (_gate)
            return _prepared.Remove(execution, out var inputs) ? inputs : null;
    }

    /// <summary>
    /// Reads the next batch's KPI job inputs (products, orders) once its validation ahead has accepted it, while this
    /// batch's job runs: a batch's job otherwise began with them on one core while the other idled. They are only
    /// read, from files of that batch alone, so nothing of this batch's changes them; a batch validation rejects, or
    /// one superseded, gets none.
    /// </summary>
    private void PrepareAhead(IReadOnlyList<BatchExecution> following, CancellationToken cancellationToken)
    {
        if (following.Count == 0)
            return;
        var next = following[0];
        lock (_gate)
        {
            if (_stopped || _prepared.ContainsKey(next) || ValidationAhead(next) is not { } validating)
                return;
            _prepared.Add(next, Task.Run(async () =>
            {
                var validated = await validating.ConfigureAwait(false);
                if (_stopped || validated.Superseded || !validated.Outcome.BatchAccepted)
                    throw new OperationCanceledException("The batch's KPI job will not run in this run.");
                return await job.PrepareAsync(next.Input.ManifestKey, cancellationToken).ConfigureAwait(false);
            }, cancellationToken));
        }
    }

    /// <summary>The version's validation started ahead, if one was (the caller holds <see cref="_gate"/>).</summary>
    private Task<ValidationPhase>? ValidationAhead(BatchExecution execution) => _ahead.Find(a => a.Execution == execution).Phase;

    /// <summary>What validating a version decided (or what an earlier run's validation decided), and how long it took.</summary>
    private sealed record ValidationPhase(ValidationOutcome Outcome, TimeSpan Elapsed, bool Superseded);

    /// <summary>The version's validation: the one started ahead of it, or done now.</summary>
    private Task<ValidationPhase> ValidationOfAsync(BatchExecution execution, BatchManifest manifest, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var ahead = _ahead.FindIndex(a => a.Execution == execution);
            if (ahead >= 0)
            {
                var phase = _ahead[ahead].Phase;
                _ahead.RemoveAt(ahead);
                return phase;
            }
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
        using var scope = _gate.EnterScope();
        foreach (var next in following.Take(ValidatedAhead))
        {
            if (_stopped || next.From != BatchStep.Claimed || ValidationAhead(next) is not null)
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
    /// The run stops here: starts nothing further ahead and waits for what runs ahead (validations, inputs read, jobs
    /// started ahead), so nothing is left running. Whatever they did is recorded in the tracker, and the next run goes
    /// on from there.
    /// </summary>
    private async Task AbandonAheadAsync(Exception stoppedBy)
    {
        List<Task> pending;
        lock (_gate)
        {
            _stopped = true;
            pending = [.. _ahead.Select(a => (Task)a.Phase), .. _prepared.Values, .. _jobsAhead.Values.Select(j => (Task)j.Outcome)];
            // A job started ahead that waits at its join for the batch before it fails there, publishing nothing, and
            // so does any job it started (that batch will not be done in this run now). One whose batch before was
            // done runs to its end, as the batch would have had the run taken it over; the next run archives it.
            foreach (var ahead in _jobsAhead.Values)
                ahead.Done.TrySetException(stoppedBy);
            _ahead.Clear();
            _prepared.Clear();
            _jobsAhead.Clear();
        }
        // The error that stopped the run is the one to report; these batches run again when the run resumes.
        foreach (var task in pending)
            await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>What a KPI job run returned, and whether its version was superseded while it ran.</summary>
    /// <param name="Result">Null when the job did not run: its version was superseded or rejected before it began.</param>
    private sealed record JobOutcome(KpiJobResult? Result, bool Superseded);

    /// <summary>A version's KPI job under way.</summary>
    private sealed class RunningJob
    {
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
