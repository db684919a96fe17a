using KpiPipeline.Lake;
using KpiPipeline.Transform;

namespace KpiPipeline.Pipeline;

/// <summary>What validating a batch decided, as far as the run is concerned.</summary>
public sealed record ValidationOutcome(bool BatchAccepted, string Summary);

/// <summary>Validates one batch manifest (the validator container's work, run in-process).</summary>
public delegate Task<ValidationOutcome> ValidateBatch(string manifestKey, CancellationToken cancellationToken);

public sealed record BatchRunResult(PendingBatch Batch, string ManifestKey, ValidationOutcome Validation, KpiJobResult? Transformation,
    TimeSpan ValidationElapsed, TimeSpan TransformationElapsed);

/// <summary>
/// Runs every pending batch of a lake in-process, in date order: write the manifest, validate, and when the
/// batch is accepted run the KPI job — what the state machine does in AWS.
/// </summary>
public sealed class PipelineRunner(IObjectStore store, ValidateBatch validate, KpiJob job, TimeProvider clock)
{
    public async Task<IReadOnlyList<BatchRunResult>> RunAsync(IProgress<JobProgress>? progress, Action<PendingBatch>? starting, CancellationToken cancellationToken)
    {
        if (!await store.ExistsAsync(LakeLayout.ProductsKey, cancellationToken).ConfigureAwait(false))
            throw new InvalidDataException($"{store.Describe(LakeLayout.ProductsKey)} is missing: products master data is needed before any batch can run.");
        var results = new List<BatchRunResult>();
        foreach (var batch in await BatchDiscovery.FindAsync(store, clock, cancellationToken).ConfigureAwait(false))
        {
            starting?.Invoke(batch);
            var manifest = new BatchManifest(LakeLayout.FormatDate(batch.BatchDate), batch.NextVersion, LakeLayout.ProductsKey,
                batch.OrdersKeys, batch.OrderItemsKeys, clock.GetUtcNow());
            await manifest.WriteAsync(store, cancellationToken).ConfigureAwait(false);
            var started = clock.GetTimestamp();
            var validation = await validate(manifest.Key, cancellationToken).ConfigureAwait(false);
            var validated = clock.GetTimestamp();
            var transformation = validation.BatchAccepted
                ? await job.RunAsync(manifest.Key, progress, cancellationToken).ConfigureAwait(false)
                : null;
            results.Add(new BatchRunResult(batch, manifest.Key, validation, transformation,
                clock.GetElapsedTime(started, validated), clock.GetElapsedTime(validated)));
        }
        return results;
    }
}
