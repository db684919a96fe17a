using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda.Runtime;

/// <summary>
/// The managed runtime's executable-assembly contract: the program itself initialises its function, then
/// takes events from the Runtime API one at a time and answers each with a response or an error. Knows
/// nothing of the functions it serves; any <see cref="InvocationHandler"/> runs under it.
/// </summary>
public sealed class RuntimeLoop(RuntimeApiClient client, TimeProvider timeProvider, ILogger logger)
{
    /// <summary>The X-Ray trace header of the current invocation, where the AWS SDK and X-Ray look for it.</summary>
    public const string TraceEnvironmentVariable = "_X_AMZN_TRACE_ID";

    /// <summary>
    /// How long before the deadline an invocation's token fires: time to log the failure and post the
    /// error before Lambda stops the process. Shorter invocations keep half of their time instead.
    /// </summary>
    public static readonly TimeSpan DeadlineMargin = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Builds the handler (<paramref name="initialize"/>; a failure is posted to <c>/init/error</c>), then
    /// serves events until <paramref name="stopping"/> fires.
    /// </summary>
    /// <returns><see cref="ExitCodes.Success"/> when stopped; <see cref="ExitCodes.Failure"/> when initialisation failed or the
    /// Runtime API stayed unavailable, so that the process exits non-zero and Lambda starts a new one.</returns>
    public async Task<int> RunAsync(string functionName, Func<InvocationHandler> initialize, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(initialize);
        InvocationHandler handler;
        try
        {
            handler = initialize();
        }
        catch (Exception e)
        {
            // The runtime's outermost boundary: whatever stopped the start-up, Lambda must hear of it.
            RuntimeLog.InitFailed(logger, functionName, e.Message, e);
            return await TryReportInitErrorAsync(ErrorReport.From(e), stopping).ConfigureAwait(false);
        }

        RuntimeLog.Serving(logger, functionName, client.Endpoint);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var invocation = await client.NextAsync(stopping).ConfigureAwait(false);
                await ServeAsync(handler, invocation, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is RuntimeApiException or HttpRequestException or IOException)
            {
                RuntimeLog.RuntimeApiUnavailable(logger, client.Endpoint, e.Message, e);
                return ExitCodes.Failure;
            }
        }
        return ExitCodes.Success;
    }

    private async Task ServeAsync(InvocationHandler handler, RuntimeInvocation invocation, CancellationToken stopping)
    {
        var context = invocation.Context;
        // Set or cleared for every event: a trace must never leak into the next invocation.
        Environment.SetEnvironmentVariable(TraceEnvironmentVariable, context.TraceId);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["AwsRequestId"] = context.RequestId });
        var started = timeProvider.GetTimestamp();
        var outcome = await InvokeAsync(handler, invocation, stopping).ConfigureAwait(false);
        if (outcome.Response is { } response)
        {
            try
            {
                await client.RespondAsync(context.RequestId, response, stopping).ConfigureAwait(false);
                RuntimeLog.Responded(logger, context.RequestId, response.Length, timeProvider.GetElapsedTime(started).TotalMilliseconds);
                return;
            }
            catch (RuntimeApiException e) when (!e.IsTransient)
            {
                // The API refused the payload (too large, say): the caller should get an error, not a timeout.
                RuntimeLog.ResponseRejected(logger, context.RequestId, e.Message);
                outcome = new Outcome(null, new ErrorReport(e.Message, "Runtime.ResponseRejected", []));
            }
        }
        try
        {
            await client.ReportErrorAsync(context.RequestId, outcome.Error!, stopping).ConfigureAwait(false);
        }
        catch (RuntimeApiException e) when (!e.IsTransient)
        {
            // Nothing left to tell: Lambda times the invocation out and retries it where its source does.
            RuntimeLog.ErrorRejected(logger, context.RequestId, e.Message);
        }
    }

    private async Task<Outcome> InvokeAsync(InvocationHandler handler, RuntimeInvocation invocation, CancellationToken stopping)
    {
        var remaining = invocation.Context.Deadline - timeProvider.GetUtcNow();
        var budget = remaining > DeadlineMargin * 2 ? remaining - DeadlineMargin : remaining / 2;
        using var deadline = new CancellationTokenSource(budget > TimeSpan.Zero ? budget : TimeSpan.Zero, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopping);
        try
        {
            await using var input = new MemoryStream(invocation.Event.ToArray(), writable: false);
            var output = await handler(input, invocation.Context, linked.Token).ConfigureAwait(false);
            await using (output.ConfigureAwait(false))
            {
                using var buffer = new MemoryStream();
                await output.CopyToAsync(buffer, linked.Token).ConfigureAwait(false);
                return new Outcome(buffer.ToArray(), null);
            }
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            RuntimeLog.DeadlineReached(logger, invocation.Context.RequestId, budget.TotalSeconds);
            return new Outcome(null, new ErrorReport(
                $"The invocation was stopped after {budget.TotalSeconds:0.#} s, shortly before its deadline, so that this error could be reported.",
                "Runtime.DeadlineExceeded", ErrorReport.From(e).StackTrace));
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            // A function failure of any kind is the invocation's error; the loop itself carries on.
            RuntimeLog.InvocationFailed(logger, invocation.Context.RequestId, e.GetType().Name, e.Message);
            return new Outcome(null, ErrorReport.From(e));
        }
    }

    private async Task<int> TryReportInitErrorAsync(ErrorReport error, CancellationToken stopping)
    {
        try
        {
            await client.ReportInitErrorAsync(error, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RuntimeApiException or HttpRequestException or IOException or OperationCanceledException)
        {
            RuntimeLog.RuntimeApiUnavailable(logger, client.Endpoint, e.Message, e);
        }
        return ExitCodes.Failure;
    }

    private sealed record Outcome(byte[]? Response, ErrorReport? Error);
}
