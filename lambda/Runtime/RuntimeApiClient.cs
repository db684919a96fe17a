using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace KpiPipeline.Lambda.Runtime;

/// <summary>How the client rides out a Runtime API that answers 5xx or drops the connection.</summary>
public sealed record RuntimeApiRetryOptions
{
    /// <summary>Retries after the first attempt; then the call fails and the process exits non-zero.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>The first wait; each further one doubles (100, 200, 400, 800, 1,600 ms by default: 3.1 s in all).</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// The Lambda Runtime API, version 2018-06-01, at <c>AWS_LAMBDA_RUNTIME_API</c> (host:port): next
/// invocation, response, invocation error, initialisation error. A 5xx answer or a dropped connection is
/// retried with exponential backoff; the specification calls a 500 a non-recoverable container error, so
/// the retries are few and short, and after them the call fails so that the process exits and Lambda
/// replaces the execution environment.
/// </summary>
public sealed class RuntimeApiClient : IDisposable
{
    public const string ApiVersion = "2018-06-01";
    public const string RequestIdHeader = "Lambda-Runtime-Aws-Request-Id";
    public const string DeadlineHeader = "Lambda-Runtime-Deadline-Ms";
    public const string FunctionArnHeader = "Lambda-Runtime-Invoked-Function-Arn";
    public const string TraceIdHeader = "Lambda-Runtime-Trace-Id";
    public const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";

    private readonly HttpClient _http;
    private readonly ResiliencePipeline _retry;

    /// <param name="handler">The HTTP stack; the local invoke passes an in-memory Runtime API.</param>
    public RuntimeApiClient(string hostAndPort, HttpMessageHandler handler, RuntimeApiRetryOptions retry, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hostAndPort);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(retry);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        Endpoint = hostAndPort;
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri($"http://{hostAndPort}/{ApiVersion}/"),
            // GET /next blocks until an event arrives, possibly across a freeze of the whole process:
            // it must not time out. The caller's token bounds every call instead.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _retry = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<HttpRequestException>()
                    .Handle<IOException>()
                    .Handle<RuntimeApiException>(e => e.IsTransient),
                MaxRetryAttempts = retry.MaxRetries,
                Delay = retry.FirstDelay,
                BackoffType = DelayBackoffType.Exponential,
                // One client per Runtime API: there is no crowd of callers for jitter to spread out.
                UseJitter = false,
                OnRetry = args =>
                {
                    RuntimeLog.RuntimeApiRetry(logger, hostAndPort, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds,
                        args.Outcome.Exception?.Message ?? "no answer");
                    return default;
                },
            })
            .Build();
    }

    /// <summary>host:port, for messages.</summary>
    public string Endpoint { get; }

    /// <summary><c>GET /runtime/invocation/next</c>: waits (without a timeout) for the next event.</summary>
    /// <exception cref="RuntimeApiException">The API refused, answered without a request id, or kept failing.</exception>
    public Task<RuntimeInvocation> NextAsync(CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(async token =>
        {
            using var response = await _http.GetAsync("runtime/invocation/next", HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
            await EnsureSuccessAsync(response, "GET /runtime/invocation/next", token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
            return new RuntimeInvocation(ReadContext(response), body);
        }, cancellationToken).AsTask();

    /// <summary><c>POST /runtime/invocation/{id}/response</c> with the function's result.</summary>
    public Task RespondAsync(string requestId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        PostAsync($"runtime/invocation/{Uri.EscapeDataString(requestId)}/response", payload, "application/json", errorType: null, cancellationToken);

    /// <summary><c>POST /runtime/invocation/{id}/error</c>: the invocation failed.</summary>
    public Task ReportErrorAsync(string requestId, ErrorReport error, CancellationToken cancellationToken) =>
        PostAsync($"runtime/invocation/{Uri.EscapeDataString(requestId)}/error", error.ToJson(), ErrorReport.ContentType, error.ErrorType, cancellationToken);

    /// <summary><c>POST /runtime/init/error</c>: the function cannot start; the process must exit after it.</summary>
    public Task ReportInitErrorAsync(ErrorReport error, CancellationToken cancellationToken) =>
        PostAsync("runtime/init/error", error.ToJson(), ErrorReport.ContentType, error.ErrorType, cancellationToken);

    public void Dispose() => _http.Dispose();

    private Task PostAsync(string path, ReadOnlyMemory<byte> body, string contentType, string? errorType, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(async token =>
        {
            using var content = new ReadOnlyMemoryContent(body);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            if (errorType is not null)
                request.Headers.TryAddWithoutValidation(ErrorTypeHeader, errorType);
            using var response = await _http.SendAsync(request, token).ConfigureAwait(false);
            await EnsureSuccessAsync(response, $"POST /{path}", token).ConfigureAwait(false);
        }, cancellationToken).AsTask();

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string call, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        throw new RuntimeApiException(
            $"The Lambda Runtime API at {Endpoint} answered {call} with HTTP {status}: {Truncate(text)}",
            response.StatusCode, isTransient: status >= 500);
    }

    private InvocationContext ReadContext(HttpResponseMessage response)
    {
        var requestId = Header(response, RequestIdHeader)
            ?? throw new RuntimeApiException($"The Lambda Runtime API at {Endpoint} sent an event without {RequestIdHeader}.", response.StatusCode, isTransient: false);
        var deadline = long.TryParse(Header(response, DeadlineHeader), NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : throw new RuntimeApiException($"The Lambda Runtime API at {Endpoint} sent event {requestId} without a numeric {DeadlineHeader}.", response.StatusCode, isTransient: false);
        return new InvocationContext(requestId, deadline, Header(response, FunctionArnHeader) ?? "", Header(response, TraceIdHeader));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) && values.FirstOrDefault() is { Length: > 0 } value ? value : null;

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..297] + "...";
}

/// <summary>The Runtime API refused a call, or broke the protocol; transient ones (5xx) are retried first.</summary>
public sealed class RuntimeApiException(string message, HttpStatusCode statusCode, bool isTransient) : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    public bool IsTransient { get; } = isTransient;
}
