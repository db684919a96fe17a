using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda.Tests.Runtime;

/// <summary>What the Runtime API can be told to do to the next <c>GET /next</c> instead of serving it.</summary>
internal enum PollFault
{
    /// <summary>HTTP 500, the specification's "container error".</summary>
    ServerError,

    /// <summary>The connection is closed without an answer.</summary>
    DropConnection,
}

/// <summary>An invocation's error as posted: the error-type header and the error document's fields.</summary>
internal sealed record PostedError(string? ErrorTypeHeader, string? ContentType, string ErrorMessage, string ErrorType, IReadOnlyList<string> StackTrace);

/// <summary>How one invocation ended: exactly one of a response body or an error.</summary>
internal sealed record InvocationResult(string RequestId, string? Response, PostedError? Error)
{
    public JsonObject ResponseJson => JsonNode.Parse(Response ?? throw new InvalidOperationException($"{RequestId} failed: {Error}"))!.AsObject();
}

/// <summary>One request the API received, with when (a Stopwatch timestamp) and how it was answered.</summary>
internal sealed record RuntimeApiRequest(string Method, string Path, long Timestamp, int Status);

/// <summary>
/// The Lambda Runtime API (version 2018-06-01) on 127.0.0.1, written from AWS's description of the
/// protocol, not from the client under test. <c>GET /runtime/invocation/next</c> blocks until a test
/// queues an event and answers with it and the <c>Lambda-Runtime-*</c> headers; <c>POST
/// /runtime/invocation/{id}/response</c> or <c>/error</c> settles that invocation (once);
/// <c>POST /runtime/init/error</c> records a start-up failure. Anything off-protocol (an unknown id, a second
/// answer, a poll while an invocation is unanswered, an error document without its fields) is kept in
/// <see cref="Problems"/> and refused.
/// </summary>
internal sealed class LoopbackRuntimeApi : IAsyncDisposable
{
    private const string Base = "/2018-06-01/runtime";

    private readonly WebApplication _app;
    private readonly Channel<Pending> _events = Channel.CreateUnbounded<Pending>();
    private readonly ConcurrentDictionary<string, Pending> _issued = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<PollFault> _faults = new();
    private readonly ConcurrentQueue<RuntimeApiRequest> _requests = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly TaskCompletionSource<PostedError> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _invocations;

    private LoopbackRuntimeApi(WebApplication app)
    {
        _app = app;
    }

    /// <summary>What AWS_LAMBDA_RUNTIME_API holds: host:port.</summary>
    public string HostAndPort { get; private set; } = "";

    public IReadOnlyCollection<RuntimeApiRequest> Requests => _requests;

    public IReadOnlyCollection<string> Problems => _problems;

    /// <summary>Completes when the runtime posts to /runtime/init/error.</summary>
    public Task<PostedError> InitError => _initError.Task;

    /// <summary>The ARN every invocation is addressed to.</summary>
    public string FunctionArn { get; init; } = "arn:aws:lambda:us-east-1:000000000000:function:kpi-under-test";

    public static async Task<LoopbackRuntimeApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var api = new LoopbackRuntimeApi(app);
        app.MapGet($"{Base}/invocation/next", (Delegate)api.NextAsync);
        app.MapPost($"{Base}/invocation/{{requestId}}/response", (Delegate)api.ResponseAsync);
        app.MapPost($"{Base}/invocation/{{requestId}}/error", (Delegate)api.ErrorAsync);
        app.MapPost($"{Base}/init/error", (Delegate)api.InitErrorAsync);
        app.MapFallback((HttpContext context) =>
        {
            api.Problem($"{context.Request.Method} {context.Request.Path} is not part of the Runtime API");
            return api.Record(context, Results.NotFound());
        });
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        api.HostAndPort = $"{address.Host}:{address.Port}";
        return api;
    }

    /// <summary>The next polls get these faults, in order, before any event is served again.</summary>
    public void FailNextPolls(params PollFault[] faults)
    {
        foreach (var fault in faults)
            _faults.Enqueue(fault);
    }

    /// <summary>Queues an event and waits for the runtime to answer it.</summary>
    /// <param name="deadline">Lambda-Runtime-Deadline-Ms; a minute from now by default.</param>
    public Task<InvocationResult> InvokeAsync(string eventJson, DateTimeOffset? deadline = null, string? traceId = null)
    {
        var requestId = $"req-{Interlocked.Increment(ref _invocations):D4}-{Guid.NewGuid():N}";
        var pending = new Pending(requestId, eventJson, deadline ?? DateTimeOffset.UtcNow.AddMinutes(1), traceId);
        _events.Writer.TryWrite(pending);
        return pending.Result.Task;
    }

    /// <summary>How many times the runtime asked for the next event.</summary>
    public IReadOnlyList<RuntimeApiRequest> Polls => [.. _requests.Where(request => request.Path.EndsWith("/next", StringComparison.Ordinal))];

    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task NextAsync(HttpContext context)
    {
        if (_faults.TryDequeue(out var fault))
        {
            if (fault == PollFault.DropConnection)
            {
                _requests.Enqueue(new RuntimeApiRequest("GET", context.Request.Path, Stopwatch.GetTimestamp(), 0));
                context.Abort();
                return;
            }
            await Record(context, Results.Json(new { errorMessage = "injected container error", errorType = "Runtime.Injected" }, statusCode: 500)).ExecuteAsync(context);
            return;
        }
        var unanswered = _issued.Values.Where(pending => !pending.Result.Task.IsCompleted).Select(pending => pending.RequestId).ToList();
        if (unanswered.Count > 0)
            Problem($"GET /next while {string.Join(", ", unanswered)} is unanswered");
        _requests.Enqueue(new RuntimeApiRequest("GET", context.Request.Path, Stopwatch.GetTimestamp(), 200));
        Pending next;
        try
        {
            next = await _events.Reader.ReadAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            return;
        }
        _issued[next.RequestId] = next;
        var headers = context.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = next.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = next.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = FunctionArn;
        if (next.TraceId is not null)
            headers["Lambda-Runtime-Trace-Id"] = next.TraceId;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(next.Event, Encoding.UTF8);
    }

    private async Task<IResult> ResponseAsync(HttpContext context, string requestId)
    {
        var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
        if (Settle(requestId, "response") is not { } pending)
            return Record(context, Results.BadRequest(new { errorMessage = $"no open invocation {requestId}", errorType = "InvalidRequestID" }));
        pending.Result.TrySetResult(new InvocationResult(requestId, body, null));
        return Record(context, Accepted());
    }

    private async Task<IResult> ErrorAsync(HttpContext context, string requestId)
    {
        var error = await ReadErrorAsync(context, $"the error of {requestId}");
        if (Settle(requestId, "error") is not { } pending)
            return Record(context, Results.BadRequest(new { errorMessage = $"no open invocation {requestId}", errorType = "InvalidRequestID" }));
        pending.Result.TrySetResult(new InvocationResult(requestId, null, error));
        return Record(context, Accepted());
    }

    private async Task<IResult> InitErrorAsync(HttpContext context)
    {
        var error = await ReadErrorAsync(context, "the init error");
        if (!_initError.TrySetResult(error))
            Problem("a second /init/error");
        return Record(context, Accepted());
    }

    private async Task<PostedError> ReadErrorAsync(HttpContext context, string what)
    {
        var text = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
        var header = context.Request.Headers["Lambda-Runtime-Function-Error-Type"].FirstOrDefault();
        JsonObject? document = null;
        try
        {
            document = JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        var message = document?["errorMessage"] is JsonValue m && m.TryGetValue<string>(out var ms) ? ms : null;
        var type = document?["errorType"] is JsonValue t && t.TryGetValue<string>(out var ts) ? ts : null;
        var stack = document?["stackTrace"] as JsonArray;
        if (message is null || type is null || stack is null || stack.Any(frame => frame is not JsonValue))
            Problem($"{what} is not {{errorMessage, errorType, stackTrace[]}}: {text}");
        if (header is null)
            Problem($"{what} came without Lambda-Runtime-Function-Error-Type");
        return new PostedError(header, context.Request.ContentType, message ?? "", type ?? "", stack?.Select(frame => frame?.ToString() ?? "").ToList() ?? []);
    }

    private Pending? Settle(string requestId, string how)
    {
        if (!_issued.TryGetValue(requestId, out var pending))
        {
            Problem($"a {how} for {requestId}, which was never handed out");
            return null;
        }
        if (pending.Result.Task.IsCompleted)
        {
            Problem($"a second answer ({how}) for {requestId}");
            return null;
        }
        return pending;
    }

    private IResult Record(HttpContext context, IResult result)
    {
        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : 200;
        _requests.Enqueue(new RuntimeApiRequest(context.Request.Method, context.Request.Path, Stopwatch.GetTimestamp(), status));
        return result;
    }

    private void Problem(string problem) => _problems.Enqueue(problem);

    private static IResult Accepted() => Results.Json(new { status = "OK" }, statusCode: 202);

    private sealed record Pending(string RequestId, string Event, DateTimeOffset Deadline, string? TraceId)
    {
        public TaskCompletionSource<InvocationResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
