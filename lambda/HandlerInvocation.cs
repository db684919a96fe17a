using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using KpiPipeline.Lambda.Events;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda;

/// <summary>
/// What every handler does around its work: a cancellation token from the invocation budget, the result
/// as JSON, and failures logged once (expected ones without a stack trace) and rethrown so that Lambda
/// retries the invocation and, in the end, the dead-letter queue keeps the event.
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

    public static async Task<Stream> RunAsync(string handler, Stream input, LambdaSettings settings, TimeProvider timeProvider, ILogger logger,
        Func<Stream, CancellationToken, Task<object>> body)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var budget = new CancellationTokenSource(settings.InvocationBudget, timeProvider);
        try
        {
            var result = await body(input, budget.Token).ConfigureAwait(false);
            return new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(result, OutputJson), writable: false);
        }
        catch (InvalidEventException e)
        {
            // An expected failure: the message locates the problem, a stack trace would add nothing.
            Log.InvalidInput(logger, handler, e.Message);
            throw;
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested)
        {
            Log.BudgetExhausted(logger, handler, settings.InvocationBudget.TotalSeconds);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.InvocationFailed(logger, handler, e.Message, e);
            throw;
        }
    }
}
