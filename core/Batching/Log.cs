using Microsoft.Extensions.Logging;

namespace KpiPipeline.Batching;

/// <summary>
/// The batch tracking's log lines, one event id per kind, named placeholders for CloudWatch queries. The ids
/// are those the Lambda has always written (lambda/README.md), so queries and alarms keep working.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Record {Index}: {EventName} s3://{Bucket}/{Key} ({Size} bytes)")]
    public static partial void RecordReceived(ILogger logger, int index, string eventName, string bucket, string key, long? size);

    [LoggerMessage(2, LogLevel.Information, "Ignored s3://{Bucket}/{Key}: {Reason}")]
    public static partial void RecordIgnored(ILogger logger, string bucket, string key, string reason);

    [LoggerMessage(4, LogLevel.Warning, "{Key} names no batch date; it joins batch {BatchId}, the UTC date of its upload")]
    public static partial void UndatedFile(ILogger logger, string key, string batchId);

    [LoggerMessage(5, LogLevel.Information, "Recorded {Key} in batch {BatchId} (revision {Revision})")]
    public static partial void FileRecorded(ILogger logger, string key, string batchId, long revision);

    [LoggerMessage(6, LogLevel.Information, "{Key} was already recorded in batch {BatchId}: duplicate delivery, nothing changed")]
    public static partial void DuplicateFile(ILogger logger, string key, string batchId);

    [LoggerMessage(7, LogLevel.Information, "Recorded products master data {Key}; releasing batches that wait for it")]
    public static partial void ProductsRecorded(ILogger logger, string key);

    [LoggerMessage(8, LogLevel.Information, "Batch {BatchId} expects {Orders} orders and {OrderItems} order_items files ({Key}; new: {IsNew})")]
    public static partial void ExpectedFilesRecorded(ILogger logger, string batchId, int orders, int orderItems, string key, bool isNew);

    [LoggerMessage(10, LogLevel.Information, "Batch {BatchId} revision {Revision}: {Status}, {Reason}")]
    public static partial void BatchWaiting(ILogger logger, string batchId, long revision, string status, string reason);

    [LoggerMessage(11, LogLevel.Information, "Batch {BatchId}: claimed version {Version} at revision {Revision} ({Orders} orders, {OrderItems} order_items files)")]
    public static partial void BatchClaimed(ILogger logger, string batchId, int version, long revision, int orders, int orderItems);

    [LoggerMessage(12, LogLevel.Information, "Batch {BatchId}: revision {Revision} was claimed by another invocation or superseded by a newer file; leaving it to that one")]
    public static partial void ClaimLost(ILogger logger, string batchId, long revision);

    [LoggerMessage(13, LogLevel.Information, "Batch {BatchId} version {Version}: wrote manifest {Location}")]
    public static partial void ManifestWritten(ILogger logger, string batchId, int version, string location);

    [LoggerMessage(14, LogLevel.Information, "Batch {BatchId} version {Version}: started execution {ExecutionName} ({ExecutionArn})")]
    public static partial void ExecutionStarted(ILogger logger, string batchId, int version, string executionName, string? executionArn);

    [LoggerMessage(15, LogLevel.Information, "Batch {BatchId} version {Version}: execution {ExecutionName} already existed; the start had happened")]
    public static partial void ExecutionAlreadyExisted(ILogger logger, string batchId, int version, string executionName);

    [LoggerMessage(16, LogLevel.Information, "Batch {BatchId}: up to date (version {Version} started with every file recorded)")]
    public static partial void BatchUpToDate(ILogger logger, string batchId, int version);

    [LoggerMessage(17, LogLevel.Warning, "Batch {BatchId}: version {Version} was claimed at {ClaimedAt} and its claimer has stopped without recording a start; starting it under the same name")]
    public static partial void ResumingClaim(ILogger logger, string batchId, int version, DateTimeOffset? claimedAt);

    [LoggerMessage(18, LogLevel.Warning, "Batch {BatchId} is stale: no file for {QuietMinutes:F0} minutes and {Reason}")]
    public static partial void BatchStale(ILogger logger, string batchId, double quietMinutes, string reason);

    [LoggerMessage(19, LogLevel.Warning, "Batch {BatchId} is stale and released incomplete: {Reason}")]
    public static partial void BatchReleasedIncomplete(ILogger logger, string batchId, string reason);

    [LoggerMessage(23, LogLevel.Information, "Batch {BatchId} revision {Revision}: waiting ({Reason}), within the quiet period")]
    public static partial void BatchQuiet(ILogger logger, string batchId, long revision, string reason);

    [LoggerMessage(24, LogLevel.Information, "Batch {BatchId}: version {Version} was claimed {AgeSeconds:F0} s ago and is being started by its claimer")]
    public static partial void StartInProgress(ILogger logger, string batchId, int version, double ageSeconds);

    [LoggerMessage(25, LogLevel.Information, "Batch {BatchId}: version {Version} already has every file, so the new revision needs no run (recorded: {Acknowledged})")]
    public static partial void NothingNewToRun(ILogger logger, string batchId, int version, bool acknowledged);
}
