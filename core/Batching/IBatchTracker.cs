using KpiPipeline.Contracts;

namespace KpiPipeline.Batching;

/// <summary>
/// Where each daily batch's arrivals, claims and run progress are kept: DynamoDB in AWS, a table of the lake's
/// SQLite file locally. Every change is one atomic conditional update; nothing reads a batch and writes back
/// what it read, so any number of callers (concurrent Lambda invocations, a re-delivered event, a run
/// restarted after a crash) may call any method at any time. The conditions are the claim protocol of
/// lambda/README.md; one contract test suite holds every implementation to them.
/// </summary>
public interface IBatchTracker
{
    /// <summary>Where the tracker is, for messages (<c>DynamoDB table X</c>, a file path).</summary>
    string Location { get; }

    /// <summary>
    /// Adds a daily file to its batch. An arrival already recorded (the same <paramref name="arrivalId"/>)
    /// changes nothing, so <see cref="BatchState.Revision"/> counts distinct arrivals; a new arrival of a
    /// known key (a re-upload) is a new revision with the key sets unchanged.
    /// </summary>
    /// <param name="arrivalId">Identifies this upload of the key (S3's event sequencer, a file's timestamp); the key itself when the source tells uploads apart by key only.</param>
    /// <returns>Whether the arrival was new, and the batch after the call.</returns>
    Task<(bool IsNew, BatchState State)> RecordFileAsync(
        string batchId, Dataset dataset, string key, string arrivalId, string bucket, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Adds several daily files, in order, each as <see cref="RecordFileAsync"/> would: what one delivery of events
    /// (or a local run's scan of <c>raw/</c>) records. A tracker may apply them together.
    /// </summary>
    /// <returns>Per file, in order: whether its arrival was new, and its batch right after it was recorded.</returns>
    Task<IReadOnlyList<(bool IsNew, BatchState State)>> RecordFilesAsync(
        IReadOnlyList<DailyFileArrival> files, string bucket, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Records the shop's expected-files list. Identical content (by hash) changes nothing; new content is a
    /// new revision, since it changes when the batch is complete.
    /// </summary>
    Task<(bool IsNew, BatchState State)> RecordExpectedFilesAsync(
        ExpectedFiles expected, string key, string bucket, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Records products master data; idempotent (the same values every time).</summary>
    Task RecordProductsAsync(string key, string bucket, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The products key once master data has arrived (read after every write that finished before the call).</summary>
    Task<string?> GetProductsKeyAsync(CancellationToken cancellationToken);

    Task<BatchState?> GetAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the next version for the revision <paramref name="state"/> was read at. Exactly one caller can
    /// win a revision: it must be unchanged, not yet claimed, and the version the caller saw. The claim
    /// snapshots the file sets, so a retried start writes the same manifest.
    /// </summary>
    /// <returns>The batch as claimed, or null when another caller claimed first or a newer arrival came.</returns>
    Task<BatchState?> TryClaimAsync(BatchState state, string productsKey, string executionName, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the revision <paramref name="state"/> was read at as covered by the latest claim, without a new
    /// version: for a revision that changed no file (a new expected-files list whose files the latest claim
    /// already had). Same guard as a claim, so it cannot hide an arrival in between.
    /// </summary>
    Task<bool> TryAcknowledgeAsync(BatchState state, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Records that <paramref name="version"/> was started. The status says STARTED only while that version is
    /// still the newest claim and nothing newer waits; otherwise only <see cref="BatchState.StartedVersion"/> moves on.
    /// </summary>
    Task MarkStartedAsync(string batchId, int version, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Reports why a batch waits (or that it went stale). Only for the revision that was evaluated and only
    /// while it is unclaimed, so a late report never overwrites a newer decision.
    /// </summary>
    Task<bool> TrySetStatusAsync(BatchState state, string status, string reason, string? productsKey, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Batches with unclaimed arrivals or an unstarted claim (never the products record).</summary>
    IAsyncEnumerable<BatchState> ScanOpenAsync(CancellationToken cancellationToken);

    /// <summary>Every batch, in no particular order (never the products record).</summary>
    IAsyncEnumerable<BatchState> ScanAllAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Begins the run of <paramref name="version"/>: its step becomes <see cref="BatchStep.Claimed"/>, once. Only
    /// while it is the latest version and its run has not begun.
    /// </summary>
    /// <returns>True when this call began it; false when it had begun before (or the version is no longer the latest).</returns>
    Task<bool> TryBeginRunAsync(string batchId, int version, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Records how far the run of <paramref name="version"/> has come. Only while it is the latest version, its
    /// run has begun and has not finished (<see cref="BatchStep.Archived"/> and <see cref="BatchStep.Failed"/> are final).
    /// </summary>
    /// <param name="reason">Why it failed, with <see cref="BatchStep.Failed"/>.</param>
    Task<bool> TryRecordStepAsync(string batchId, int version, BatchStep step, string? reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Asks for the batch to run again with every file it has (after fixing what made it fail): one more
    /// revision, as if a file had arrived, so the next evaluation claims a new version.
    /// </summary>
    /// <returns>The batch after the request, or null when no such batch is tracked.</returns>
    Task<BatchState?> RequestRerunAsync(string batchId, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>One daily file to add to its batch (<see cref="IBatchTracker.RecordFilesAsync"/>).</summary>
/// <param name="ArrivalId">Identifies this upload of the key; the key itself when uploads are told apart by key only.</param>
public sealed record DailyFileArrival(string BatchId, Dataset Dataset, string Key, string ArrivalId);

/// <summary>The tracker's store cannot be used (locked, read-only, a full disk, a missing table): an infrastructure failure; the message names it.</summary>
public sealed class BatchTrackerUnavailableException(string message, Exception? innerException = null) : IOException(message, innerException);
