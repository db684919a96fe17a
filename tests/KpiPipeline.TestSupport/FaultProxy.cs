using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KpiPipeline.Testing;

/// <summary>What <see cref="FaultProxy"/> does to one request instead of forwarding it faithfully.</summary>
public enum Fault
{
    /// <summary>503 with the service's "slow down / unavailable" error body.</summary>
    ServerError,

    /// <summary>400 <c>ThrottlingException</c> (DynamoDB's JSON; S3 answers 503 SlowDown).</summary>
    Throttling,

    /// <summary>The request is not forwarded and the connection is dropped before the response's body.</summary>
    DroppedConnection,

    /// <summary>The real response's headers and half its body, then the connection is dropped.</summary>
    TruncatedBody,
}

/// <summary>One request as the proxy sees it, numbered from 1 in arrival order.</summary>
public sealed record ProxiedRequest(int Number, string Method, string PathAndQuery, string? Target);

/// <summary>
/// A loopback HTTP proxy in front of an emulator (fauxqs, dynalite) that injects faults on the requests a rule
/// chooses and forwards the rest unchanged. Point a process's <c>AWS_ENDPOINT_URL_S3</c> / <c>_DYNAMODB</c> at
/// <see cref="Url"/>. The emulators do not check signatures, so forwarding under another Host is transparent.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None });
    private readonly Uri _target;
    private readonly Func<ProxiedRequest, Fault?> _rule;
    private readonly Task _loop;
    private int _count;
    private int _faults;

    public FaultProxy(Uri target, Func<ProxiedRequest, Fault?> rule)
    {
        _target = target;
        _rule = rule;
        var port = FreePort();
        Url = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public Uri Url { get; }

    public int Requests => Volatile.Read(ref _count);

    public int FaultsInjected => Volatile.Read(ref _faults);

    /// <summary>Each request with what it got: for a failing test's message.</summary>
    public IReadOnlyList<string> Journal
    {
        get
        {
            lock (_journal)
                return [.. _journal];
        }
    }

    private readonly List<string> _journal = [];

    private void Note(ProxiedRequest request, string what)
    {
        lock (_journal)
            _journal.Add($"{request.Number} {request.Method} {request.PathAndQuery} {request.Target}: {what}");
    }

    /// <summary>
    /// HttpListener needs its port up front; the OS picks a free one and the listener takes it at once (a race
    /// with another process is possible in principle, and would fail loudly at Start).
    /// </summary>
    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var number = Interlocked.Increment(ref _count);
        var proxied = new ProxiedRequest(number, request.HttpMethod, request.RawUrl ?? "/", request.Headers["X-Amz-Target"]);
        var fault = _rule(proxied);
        // HttpListener cannot reset a connection before the status line: its drop is a promised body never sent,
        // which a client only notices where it reads the body. Elsewhere (PUT, HEAD, DELETE) a drop would look like
        // success, which no real network does; those get a 5xx instead.
        if (fault is Fault.DroppedConnection && request.HttpMethod != "GET" && proxied.Target is null)
            fault = Fault.ServerError;
        try
        {
            using var body = new MemoryStream();
            await request.InputStream.CopyToAsync(body);
            if (fault is not (null or Fault.TruncatedBody))
                Note(proxied, fault.Value.ToString());
            if (fault is Fault.DroppedConnection)
            {
                Interlocked.Increment(ref _faults);
                // HttpListener answers an aborted response that sent nothing with an empty 200; promising a body and
                // sending none makes the client see the connection end mid-response instead.
                context.Response.ContentLength64 = 1;
                await context.Response.OutputStream.FlushAsync();
                context.Response.Abort();
                return;
            }
            if (fault is Fault.ServerError or Fault.Throttling)
            {
                Interlocked.Increment(ref _faults);
                await WriteErrorAsync(context.Response, fault.Value, proxied.Target is not null);
                return;
            }
            using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_target, request.RawUrl));
            forward.Content = new ByteArrayContent(body.ToArray());
            foreach (var name in request.Headers.AllKeys.OfType<string>())
            {
                if (name is "Host" or "Connection" or "Transfer-Encoding" or "Content-Length" or "Expect" or "Keep-Alive")
                    continue;
                var values = request.Headers.GetValues(name) ?? [];
                if (!forward.Headers.TryAddWithoutValidation(name, values))
                    forward.Content.Headers.TryAddWithoutValidation(name, values);
            }
            using var response = await _http.SendAsync(forward);
            var content = await response.Content.ReadAsByteArrayAsync();
            Note(proxied, $"{(int)response.StatusCode}{(fault is null ? "" : " " + fault)}");
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (header.Key is "Transfer-Encoding" or "Content-Length" or "Connection" or "Keep-Alive")
                    continue;
                foreach (var value in header.Value)
                    context.Response.AppendHeader(header.Key, value);
            }
            context.Response.ContentLength64 = content.Length;
            if (fault is Fault.TruncatedBody && content.Length > 1)
            {
                Interlocked.Increment(ref _faults);
                await context.Response.OutputStream.WriteAsync(content.AsMemory(0, content.Length / 2));
                await context.Response.OutputStream.FlushAsync();
                context.Response.Abort();
                return;
            }
            await context.Response.OutputStream.WriteAsync(content);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or HttpRequestException or ObjectDisposedException)
        {
            // The client went away (or the target did): nothing left to answer.
            context.Response.Abort();
        }
    }

    private static async Task WriteErrorAsync(HttpListenerResponse response, Fault fault, bool dynamoDb)
    {
        string text;
        if (dynamoDb)
        {
            response.StatusCode = fault == Fault.Throttling ? 400 : 500;
            response.ContentType = "application/x-amz-json-1.0";
            var type = fault == Fault.Throttling ? "ThrottlingException" : "InternalServerError";
            text = $$"""{"__type":"com.amazonaws.dynamodb.v20120810#{{type}}","message":"injected by the fault proxy"}""";
        }
        else
        {
            response.StatusCode = 503;
            response.ContentType = "application/xml";
            var code = fault == Fault.Throttling ? "SlowDown" : "ServiceUnavailable";
            text = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected by the fault proxy</Message></Error>";
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        _http.Dispose();
    }
}
