using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using KpiPipeline.Lambda.Events;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda;

/// <summary>
/// What every function does around its work: the result as JSON, and failures logged once (expected ones
/// without a stack trace) and rethrown, so that the runtime loop reports the invocation's error and Lambda
/// retries it and, in the end, the failure destination keeps the event.
/// </summary>
internal static class HandlerInvocation
{
    // Relaxed escaping: the output is read by people and Step Functions, never embedded in HTML, and keys
    // such as "a+b.csv" should read as they are.
    private static readonly JsonSerializerOptions OutputJson = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <param name="cancellationToken">Fires shortly before the invocation's deadline (see <see cref="Runtime.RuntimeLoop"/>).</param>
    public static async Task<Stream> RunAsync(string function, Stream input, ILogger logger,
        Func<Stream, CancellationToken, Task<object>> body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            var result = await body(input, cancellationToken).ConfigureAwait(false);
            return new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(result, OutputJson), writable: false);
        }
        catch (InvalidEventException e)
        {
            // An expected failure: the message locates the problem, a stack trace would add nothing.
            Log.InvalidInput(logger, function, e.Message);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.OutOfTime(logger, function);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.InvocationFailed(logger, function, e.Message, e);
            throw;
        }
    }
}
