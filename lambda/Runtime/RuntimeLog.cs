using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda.Runtime;

/// <summary>The runtime loop's own log lines (event ids 100+; the functions use lower ones).</summary>
internal static partial class RuntimeLog
{
    [LoggerMessage(100, LogLevel.Information, "Serving function {Function} from the Lambda Runtime API at {Endpoint}")]
    public static partial void Serving(ILogger logger, string function, string endpoint);

    [LoggerMessage(101, LogLevel.Critical, "Function {Function} could not start: {Message}")]
    public static partial void InitFailed(ILogger logger, string function, string message, Exception exception);

    [LoggerMessage(102, LogLevel.Information, "Invocation {RequestId} answered ({Bytes} bytes) in {ElapsedMs:F0} ms")]
    public static partial void Responded(ILogger logger, string requestId, int bytes, double elapsedMs);

    [LoggerMessage(103, LogLevel.Error, "Invocation {RequestId} failed with {ErrorType}: {Message}")]
    public static partial void InvocationFailed(ILogger logger, string requestId, string errorType, string message);

    [LoggerMessage(104, LogLevel.Error, "Invocation {RequestId} reached its deadline after {BudgetSeconds:F1} s")]
    public static partial void DeadlineReached(ILogger logger, string requestId, double budgetSeconds);

    [LoggerMessage(105, LogLevel.Warning, "Lambda Runtime API at {Endpoint}: attempt {Attempt} failed ({Reason}); trying again in {DelayMs:F0} ms")]
    public static partial void RuntimeApiRetry(ILogger logger, string endpoint, int attempt, double delayMs, string reason);

    [LoggerMessage(106, LogLevel.Critical, "Lambda Runtime API at {Endpoint} is unavailable, so the process exits: {Message}")]
    public static partial void RuntimeApiUnavailable(ILogger logger, string endpoint, string message, Exception exception);

    [LoggerMessage(107, LogLevel.Error, "Invocation {RequestId}: the Runtime API refused the response ({Message}); reporting an error instead")]
    public static partial void ResponseRejected(ILogger logger, string requestId, string message);

    [LoggerMessage(108, LogLevel.Error, "Invocation {RequestId}: the Runtime API refused the error report: {Message}")]
    public static partial void ErrorRejected(ILogger logger, string requestId, string message);
}
