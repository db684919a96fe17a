using System.Text.Json.Serialization;
using KpiPipeline.Lake;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Batching;

/// <summary>What happened to one batch in one evaluation: the Lambda output's <c>batches</c> entries.</summary>
public sealed record BatchDecision(
    [property: JsonPropertyName("batch_id")] string BatchId,
    [property: JsonPropertyName("decision")] string Decision,
    [property: JsonPropertyName("version")] int? Version = null,
    [property: JsonPropertyName("execution_name")] string? ExecutionName = null,
    [property: JsonPropertyName("reason")] string? Reason = null);

public static class Decisions
{
    public const string Started = "started";
    public const string Restarted = "restarted";
    public const string StartInProgress = "start_in_progress";
    public const string ReleasedIncomplete = "released_incomplete";
    public const string Waiting = "waiting";
    public const string Stale = "stale";
    public const string UpToDate = "up_to_date";
    public const string ClaimedElsewhere = "claimed_elsewhere";
    public const string Failed = "failed";
}

/// <summary>
/// Decides what a batch needs and does it: finish an unstarted claim, claim and start a ready batch,
/// report a waiting or stale one. Safe to run for the same batch from any number of invocations at
/// once: the tracker's conditions let exactly one claim a revision, and the deterministic execution
/// name makes a repeated start of a claim a no-op. The Lambda runs it on S3 events and on its schedule;
/// the local <c>run</c> on the objects it finds under <c>raw/</c>.
/// </summary>
/// <param name="claimOrphanedAfter">
/// How old an unstarted claim must be before another caller starts it: the claimer's longest possible
/// life (the Lambda's invocation budget); zero where no other claimer can be alive (a run holding its lake).
/// </param>
public sealed class BatchCoordinator(
    IBatchTracker tracker,
    Func<string, IObjectStore> storeForBucket,
    IExecutionStarter starter,
    TimeProvider timeProvider,
    TimeSpan claimOrphanedAfter,
    ILogger logger)
{
    /// <param name="productsKey">The products master data key when it has arrived.</param>
    /// <param name="staleAfter">Set by the sweeper: report (or release) batches quiet for this long.</param>
    public async Task<IReadOnlyList<BatchDecision>> EvaluateAsync(BatchState state, string? productsKey, TimeSpan? staleAfter, CancellationToken cancellationToken)
    {
        var outcomes = new List<BatchDecision>();
        if (state.HasUnstartedClaim)
        {
            // A claim whose start was never recorded: its claimer is still starting it, or it died. Starting
            // the same name again would be harmless either way; waiting until the claimer's invocation
            // budget has surely run out only saves duplicate requests. After that, any invocation (a
            // retried event, a duplicate, the sweeper) finishes the work.
            var age = timeProvider.GetUtcNow() - (state.ClaimedAt ?? DateTimeOffset.MinValue);
            if (age < claimOrphanedAfter)
            {
                Log.StartInProgress(logger, state.BatchId, state.Version, age.TotalSeconds);
                outcomes.Add(new BatchDecision(state.BatchId, Decisions.StartInProgress, state.Version, BatchExecutionInput.NameFor(state.BatchId, state.Version)));
            }
            else
            {
                Log.ResumingClaim(logger, state.BatchId, state.Version, state.ClaimedAt);
                outcomes.Add(await StartClaimedAsync(state, Decisions.Restarted, cancellationToken).ConfigureAwait(false));
            }
        }
        if (!state.HasUnclaimedWork)
        {
            if (outcomes.Count == 0)
            {
                Log.BatchUpToDate(logger, state.BatchId, state.Version);
                outcomes.Add(new BatchDecision(state.BatchId, Decisions.UpToDate, state.Version, BatchExecutionInput.NameFor(state.BatchId, state.Version)));
            }
            return outcomes;
        }

        var readiness = Completeness.Evaluate(state, productsKey);
        if (readiness.IsReady && !state.HasExpectedFiles && state.Bucket is { } bucket)
        {
            // The shop's expected-files list may be in the bucket with its own event still in flight. Read
            // it now rather than start a batch the list would call incomplete.
            var expectedKey = LakeLayout.ExpectedFilesKey(BatchDate(state));
            var store = storeForBucket(bucket);
            if (await store.ExistsAsync(expectedKey, cancellationToken).ConfigureAwait(false))
            {
                state = await RecordExpectedFilesAsync(store, bucket, expectedKey, BatchDate(state), cancellationToken).ConfigureAwait(false);
                readiness = Completeness.Evaluate(state, productsKey);
            }
        }

        if (readiness.IsReady && state.Version > 0 && state.FilesRevision == state.ClaimedFilesRevision
            && state.OrdersKeys.SetEquals(state.ClaimedOrdersKeys) && state.OrderItemsKeys.SetEquals(state.ClaimedOrderItemsKeys))
        {
            // Only the expected-files list changed (no file arrived, none was uploaded again, no re-run was asked
            // for), and the latest version already has every file: running the same files again would change nothing.
            var acknowledged = await tracker.TryAcknowledgeAsync(state, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            Log.NothingNewToRun(logger, state.BatchId, state.Version, acknowledged);
            outcomes.Add(acknowledged
                ? new BatchDecision(state.BatchId, Decisions.UpToDate, state.Version, BatchExecutionInput.NameFor(state.BatchId, state.Version), "the latest version already has every file")
                : new BatchDecision(state.BatchId, Decisions.ClaimedElsewhere, Reason: $"revision {state.Revision} was claimed elsewhere or superseded"));
            return outcomes;
        }

        if (readiness.IsReady)
        {
            outcomes.Add(await ClaimAndStartAsync(state, productsKey!, Decisions.Started, cancellationToken).ConfigureAwait(false));
            return outcomes;
        }

        var now = timeProvider.GetUtcNow();
        var quiet = now - (state.LastArrival ?? DateTimeOffset.MinValue);
        if (staleAfter is { } threshold && quiet >= threshold)
        {
            if (readiness.DefaultRuleMet)
            {
                // Listed files never came, but products and files of both kinds did: run what is there
                // rather than nothing. A late file claims the next version and runs the whole day again.
                Log.BatchReleasedIncomplete(logger, state.BatchId, readiness.Reason);
                outcomes.Add(await ClaimAndStartAsync(state, productsKey!, Decisions.ReleasedIncomplete, cancellationToken).ConfigureAwait(false));
                return outcomes;
            }
            // Logged on every sweep while it lasts (an alarm can count these lines); written once.
            Log.BatchStale(logger, state.BatchId, quiet.TotalMinutes, readiness.Reason);
            if (state.Status != BatchStatus.Stale || state.StatusReason != readiness.Reason)
                await tracker.TrySetStatusAsync(state, BatchStatus.Stale, readiness.Reason, productsKey, now, cancellationToken).ConfigureAwait(false);
            outcomes.Add(new BatchDecision(state.BatchId, Decisions.Stale, Reason: readiness.Reason));
            return outcomes;
        }

        if (staleAfter is not null)
            Log.BatchQuiet(logger, state.BatchId, state.Revision, readiness.Reason);
        else
            Log.BatchWaiting(logger, state.BatchId, state.Revision, readiness.Status, readiness.Reason);
        if (state.Status != readiness.Status || state.StatusReason != readiness.Reason)
            await tracker.TrySetStatusAsync(state, readiness.Status, readiness.Reason, productsKey, now, cancellationToken).ConfigureAwait(false);
        outcomes.Add(new BatchDecision(state.BatchId, Decisions.Waiting, Reason: readiness.Reason));
        return outcomes;
    }

    /// <summary>Reads the shop's expected-files list from the bucket and records it on the batch.</summary>
    public async Task<BatchState> RecordExpectedFilesAsync(IObjectStore store, string bucket, string key, DateOnly batchDate, CancellationToken cancellationToken)
    {
        var expected = await ExpectedFiles.ReadAsync(store, key, batchDate, cancellationToken).ConfigureAwait(false);
        var (isNew, state) = await tracker.RecordExpectedFilesAsync(expected, key, bucket, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        Log.ExpectedFilesRecorded(logger, expected.BatchId, expected.OrdersKeys.Count, expected.OrderItemsKeys.Count, key, isNew);
        return state;
    }

    private async Task<BatchDecision> ClaimAndStartAsync(BatchState state, string productsKey, string decision, CancellationToken cancellationToken)
    {
        var version = state.Version + 1;
        var claimed = await tracker.TryClaimAsync(
            state, productsKey, BatchExecutionInput.NameFor(state.BatchId, version), timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (claimed is null)
        {
            // A retried request whose first attempt won the claim reads as lost too (its condition no longer holds). Where
            // no other claimer can be alive, an unstarted claim of this revision is this caller's own: start it now, or
            // nothing would until the next run.
            if (claimOrphanedAfter <= TimeSpan.Zero
                && await tracker.GetAsync(state.BatchId, cancellationToken).ConfigureAwait(false) is { HasUnstartedClaim: true } own
                && own.ClaimedRevision == state.Revision)
            {
                Log.ResumingClaim(logger, own.BatchId, own.Version, own.ClaimedAt);
                return await StartClaimedAsync(own, decision, cancellationToken).ConfigureAwait(false);
            }
            Log.ClaimLost(logger, state.BatchId, state.Revision);
            return new BatchDecision(state.BatchId, Decisions.ClaimedElsewhere, Reason: $"revision {state.Revision} was claimed elsewhere or superseded");
        }
        Log.BatchClaimed(logger, claimed.BatchId, claimed.Version, claimed.ClaimedRevision, claimed.ClaimedOrdersKeys.Count, claimed.ClaimedOrderItemsKeys.Count);
        return await StartClaimedAsync(claimed, decision, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the claim's manifest, then starts its execution, then records the start. Every step
    /// repeats safely: the manifest's content comes from the claim's snapshot, and the execution name
    /// from the batch and version.
    /// </summary>
    private async Task<BatchDecision> StartClaimedAsync(BatchState claimed, string decision, CancellationToken cancellationToken)
    {
        var bucket = claimed.Bucket ?? throw new InvalidDataException($"Tracker item {claimed.BatchId} has no bucket.");
        var store = storeForBucket(bucket);
        var manifest = new BatchManifest(
            claimed.BatchId,
            claimed.Version,
            claimed.ProductsKey ?? LakeLayout.ProductsKey,
            claimed.ClaimedOrdersKeys.Order(StringComparer.Ordinal).ToList(),
            claimed.ClaimedOrderItemsKeys.Order(StringComparer.Ordinal).ToList(),
            claimed.ClaimedAt ?? timeProvider.GetUtcNow());
        await manifest.WriteAsync(store, cancellationToken).ConfigureAwait(false);
        Log.ManifestWritten(logger, claimed.BatchId, claimed.Version, store.Describe(manifest.Key));

        var input = new BatchExecutionInput(bucket, claimed.BatchId, claimed.Version, manifest.Key);
        var start = await starter.StartAsync(input, cancellationToken).ConfigureAwait(false);
        if (start.AlreadyExisted)
            Log.ExecutionAlreadyExisted(logger, claimed.BatchId, claimed.Version, start.ExecutionName);
        else
            Log.ExecutionStarted(logger, claimed.BatchId, claimed.Version, start.ExecutionName, start.ExecutionArn);
        await tracker.MarkStartedAsync(claimed.BatchId, claimed.Version, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return new BatchDecision(claimed.BatchId, decision, claimed.Version, start.ExecutionName);
    }

    private static DateOnly BatchDate(BatchState state) =>
        LakeLayout.TryParseDate(state.BatchId, out var date) ? date : throw new InvalidDataException($"Tracker item '{state.BatchId}' is not a batch date.");
}
