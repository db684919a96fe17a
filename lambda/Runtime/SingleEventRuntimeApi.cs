using System.Globalization;
using System.Net;
using System.Text.Json;

namespace KpiPipeline.Lambda.Runtime;

/// <summary>
/// An in-memory Runtime API that hands out one event and keeps what the loop posts back, so that a local
/// invocation goes through the same loop, headers, deadline and error reports as one in Lambda. After
/// the first answer it stops the loop (its next <c>GET /next</c> waits on a cancelled token).
/// </summary>
public sealed class SingleEventRuntimeApi : HttpMessageHandler
{
    public const string HostAndPort = "local-invoke";
    public const string RequestId = "00000000-0000-0000-0000-000000000001";

    private readonly byte[] _event;
    private readonly DateTimeOffset _deadline;
    private readonly string _functionArn;
    private readonly CancellationTokenSource _stop = new();
    private int _served;

    /// <param name="deadline">What the Runtime API would send as <c>Lambda-Runtime-Deadline-Ms</c>.</param>
    public SingleEventRuntimeApi(byte[] eventBody, DateTimeOffset deadline, string functionName)
    {
        _event = eventBody;
        _deadline = deadline;
        _functionArn = $"arn:aws:lambda:local:000000000000:function:{functionName}";
    }

    /// <summary>Fires once the event has been answered (or the start-up failed): pass it to the loop.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>The response payload, when the invocation succeeded.</summary>
    public byte[]? Response { get; private set; }

    /// <summary>The invocation's error, or the start-up's.</summary>
    public ErrorReport? Error { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        if (request.Method == HttpMethod.Get && path.EndsWith("/runtime/invocation/next", StringComparison.Ordinal))
        {
            if (Interlocked.Exchange(ref _served, 1) == 1)
            {
                // One event only: the loop waits here until the answer above stopped it.
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            var next = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(_event) };
            next.Headers.Add(RuntimeApiClient.RequestIdHeader, RequestId);
            next.Headers.Add(RuntimeApiClient.DeadlineHeader, _deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            next.Headers.Add(RuntimeApiClient.FunctionArnHeader, _functionArn);
            return next;
        }
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (path.EndsWith($"/runtime/invocation/{RequestId}/response", StringComparison.Ordinal))
            Response = body;
        else if (path.EndsWith($"/runtime/invocation/{RequestId}/error", StringComparison.Ordinal) || path.EndsWith("/runtime/init/error", StringComparison.Ordinal))
            Error = JsonSerializer.Deserialize<ErrorReport>(body);
        else
            return new HttpResponseMessage(HttpStatusCode.NotFound);
        await _stop.CancelAsync().ConfigureAwait(false);
        return new HttpResponseMessage(HttpStatusCode.Accepted) { Content = new StringContent("""{"status":"OK"}""") };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _stop.Dispose();
        base.Dispose(disposing);
    }
}
