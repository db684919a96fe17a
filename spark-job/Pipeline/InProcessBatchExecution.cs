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
public sealed class InProcessBatchExecution(
    IObjectStore store, IBatchTracker tracker, ValidateBatch validate, KpiJob job, TimeProvider clock, StepPause pause,
    IProgress<JobProgress>? progress, Action<PendingBatch>? starting)
{
    public async Task<BatchRunResult?> RunAsync(BatchExecution execution, CancellationToken cancellationToken)
    {
        var input = execution.Input;
        var manifest = await BatchManifest.ReadAsync(store, input.ManifestKey, cancellationToken).ConfigureAwait(false);
        var batch = new PendingBatch(manifest.BatchDate, manifest.Version, manifest.OrdersKeys, manifest.OrderItemsKeys,
            manifest.OrdersKeys.Count + manifest.OrderItemsKeys.Count);
        starting?.Invoke(batch);
        var step = execution.From;
        if (step == BatchStep.Claimed)
            pause.At(BatchStep.Claimed.Name());
        try
        {
            var started = clock.GetTimestamp();
            ValidationOutcome validation;
            if (step == BatchStep.Claimed)
            {
                validation = await validate(input.ManifestKey, cancellationToken).ConfigureAwait(false);
                if (!validation.BatchAccepted)
                {
                    await RecordAsync(input, BatchStep.Failed, $"rejected by validation: {validation.Rejection}", cancellationToken).ConfigureAwait(false);
                    return new BatchRunResult(batch, input.ManifestKey, validation, null, clock.GetElapsedTime(started), TimeSpan.Zero);
                }
                if (!await RecordAsync(input, BatchStep.Validated, null, cancellationToken).ConfigureAwait(false))
                    return null;
            }
            else
            {
                validation = await EarlierValidationAsync(manifest, cancellationToken).ConfigureAwait(false);
            }
            var validated = clock.GetTimestamp();

            KpiJobResult transformation;
            if (step == BatchStep.Stored)
            {
                transformation = await job.ArchiveOnlyAsync(input.ManifestKey, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var superseded = false;
                // Transformed and stored are recorded from inside the job, as it passes them.
                var steps = new KpiJobSteps(
                    Transformed: async token => superseded |= !await RecordAsync(input, BatchStep.Transformed, null, token).ConfigureAwait(false),
                    Stored: async token => superseded |= !await RecordAsync(input, BatchStep.Stored, null, token).ConfigureAwait(false));
                transformation = await job.RunAsync(input.ManifestKey, progress, cancellationToken, steps).ConfigureAwait(false);
                if (superseded)
                    return null;
            }
            await RecordAsync(input, BatchStep.Archived, null, cancellationToken).ConfigureAwait(false);
            return new BatchRunResult(batch, input.ManifestKey, validation, transformation,
                clock.GetElapsedTime(started, validated), clock.GetElapsedTime(validated));
        }
        catch (Exception e) when (e is InvalidDataException or ObjectNotFoundException or InvalidObjectKeyException)
        {
            // A retry cannot fix it: the batch ends here and says why (`kpi-job batches`); `kpi-job rerun` runs it again.
            await RecordAsync(input, BatchStep.Failed, e.Message, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
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
