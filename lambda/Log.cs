using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda;

/// <summary>
/// The handlers' own log lines: one event id per kind, named placeholders for CloudWatch queries. What a
/// delivery does to a batch is logged by the batch tracking in core (KpiPipeline.Batching), with its ids.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(3, LogLevel.Information, "Record {Index}: skipped {EventName} for {Key}: the aggregator acts on ObjectCreated events only")]
    public static partial void RecordSkipped(ILogger logger, int index, string eventName, string? key);

    [LoggerMessage(9, LogLevel.Information, "S3 test event: nothing to do")]
    public static partial void TestEvent(ILogger logger);

    [LoggerMessage(20, LogLevel.Information, "Sweep at {Now:o}: batches are stale after {StaleMinutes:F0} quiet minutes")]
    public static partial void SweepStarted(ILogger logger, DateTimeOffset now, double staleMinutes);

    [LoggerMessage(21, LogLevel.Information, "Sweep done: {Examined} open batches examined")]
    public static partial void SweepFinished(ILogger logger, int examined);

    [LoggerMessage(22, LogLevel.Error, "Batch {BatchId} failed")]
    public static partial void BatchFailed(ILogger logger, string batchId, Exception exception);

    [LoggerMessage(30, LogLevel.Information, "Lock {LockId}: acquired by {Owner} until {ExpiresAt}")]
    public static partial void LockAcquired(ILogger logger, string lockId, string owner, long expiresAt);

    [LoggerMessage(31, LogLevel.Information, "Lock {LockId}: {Owner} must wait; held by {Holder} until {ExpiresAt}")]
    public static partial void LockBusy(ILogger logger, string lockId, string owner, string? holder, long? expiresAt);

    [LoggerMessage(32, LogLevel.Information, "Lock {LockId}: released by {Owner}")]
    public static partial void LockReleased(ILogger logger, string lockId, string owner);

    [LoggerMessage(33, LogLevel.Warning, "Lock {LockId}: {Owner} does not hold it (expired and taken over, or already released); nothing released")]
    public static partial void LockNotHeld(ILogger logger, string lockId, string owner);

    [LoggerMessage(41, LogLevel.Error, "Invocation of {Handler} rejected its input: {Message}")]
    public static partial void InvalidInput(ILogger logger, string handler, string message);

    [LoggerMessage(42, LogLevel.Error, "Invocation of {Handler} ran out of time before its deadline; every step repeats safely, so the retry finishes the work")]
    public static partial void OutOfTime(ILogger logger, string handler);

    [LoggerMessage(40, LogLevel.Error, "Invocation of {Handler} failed: {Message}")]
    public static partial void InvocationFailed(ILogger logger, string handler, string message, Exception exception);
}
