namespace KpiPipeline.Lambda.Events;

/// <summary>
/// The invocation's input is not what the handler accepts. The message names the problem and where it
/// is (<c>Records[2].s3.object.key</c>), so the failed invocation in Lambda's retries and dead-letter
/// queue explains itself.
/// </summary>
public sealed class InvalidEventException(string message, Exception? innerException = null)
    : Exception(message, innerException);
