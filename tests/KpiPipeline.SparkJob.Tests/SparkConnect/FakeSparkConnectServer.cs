using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KpiPipeline.SparkJob.Tests.SparkConnect.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

/// <summary>
/// A loopback Spark Connect server on bare Kestrel: HTTP/2 without TLS (h2c, as a real Spark server) and HTTP/2
/// over TLS with a throw-away self-signed certificate. It shares no code with the client: it checks the gRPC envelope
/// by hand, decodes every request with <see cref="WireMessage"/> (protobuf's raw reader and the suite's own table of
/// Spark's messages) and writes responses with <see cref="WireBuilder"/>. ExecutePlan is answered by the script
/// registered for the request's SQL text or session; ReattachExecute, ReleaseExecute and ReleaseSession behave as
/// Spark's do for the executions those scripts started.
/// </summary>
public sealed class FakeSparkConnectServer : IAsyncLifetime
{
    public const string VersionScriptKey = "AnalyzePlan/spark_version";

    private readonly ConcurrentDictionary<string, Func<FakeCall, Task>> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<FakeCall, Task>> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeExecution> _executions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _released = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public int PlaintextPort { get; private set; }

    public int TlsPort { get; private set; }

    public X509Certificate2 Certificate { get; } = CreateSelfSignedCertificate();

    /// <summary>What Spark 4 sends as server_side_session_id: one incarnation of the server.</summary>
    public string ServerSideSessionId { get; } = Guid.NewGuid().ToString("D");

    public string PlaintextConnectionString => $"sc://127.0.0.1:{PlaintextPort}";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, 0, o =>
            {
                o.Protocols = HttpProtocols.Http2;
                o.UseHttps(Certificate);
            });
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();

        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        PlaintextPort = addresses.Select(a => new Uri(a)).Single(u => u.Scheme == Uri.UriSchemeHttp).Port;
        TlsPort = addresses.Select(a => new Uri(a)).Single(u => u.Scheme == Uri.UriSchemeHttps).Port;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
        Certificate.Dispose();
    }

    /// <summary>Answers every ExecutePlan whose SQL text is <paramref name="sql"/> (or AnalyzePlan, for <see cref="VersionScriptKey"/>).</summary>
    public void When(string sql, Func<FakeCall, Task> script) => _scripts[sql] = script;

    /// <summary>Answers every ExecutePlan and AnalyzePlan of one client session, whatever its SQL (e.g. a SQL engine standing in for Spark).</summary>
    public void ForSession(string sessionId, Func<FakeCall, Task> script) => _sessions[sessionId] = script;

    public IReadOnlyList<ReceivedRequest> ReceivedFor(string sql) => [.. _received.Where(r => r.Sql == sql)];

    /// <summary>Every request of one client session, in arrival order.</summary>
    public IReadOnlyList<ReceivedRequest> ReceivedInSession(string sessionId) => [.. _received.Where(r => r.SessionId == sessionId)];

    /// <summary>Completes when a ReleaseExecute for <paramref name="operationId"/> has been answered.</summary>
    public Task Released(string operationId) => _released.GetOrAdd(operationId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    internal void Register(FakeExecution execution) => _executions[execution.OperationId] = execution;

    private async Task HandleAsync(HttpContext context)
    {
        var method = context.Request.Path.Value?.Split('/').LastOrDefault() ?? string.Empty;
        var body = await ReadBodyAsync(context.Request.Body, context.RequestAborted);

        // The gRPC envelope every call must have; a violation answers INVALID_ARGUMENT so the
        // client-side test fails with the reason in its message.
        var problem =
            context.Request.Protocol != "HTTP/2" ? $"protocol {context.Request.Protocol}"
            : context.Request.Method != "POST" ? $"method {context.Request.Method}"
            : !context.Request.Path.StartsWithSegments("/spark.connect.SparkConnectService") ? $"path {context.Request.Path}"
            : context.Request.ContentType != "application/grpc" ? $"content-type {context.Request.ContentType}"
            : context.Request.Headers.TE != "trailers" ? $"te '{context.Request.Headers.TE}'"
            : body.Length < 5 || body[0] != 0 || BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1)) != body.Length - 5 ? "request framing"
            : null;
        if (problem is not null)
        {
            Reject(context, $"fake server: bad gRPC request ({problem})");
            return;
        }

        var messageName = method switch
        {
            "ExecutePlan" => "ExecutePlanRequest",
            "AnalyzePlan" => "AnalyzePlanRequest",
            "ReattachExecute" => "ReattachExecuteRequest",
            "ReleaseExecute" => "ReleaseExecuteRequest",
            "ReleaseSession" => "ReleaseSessionRequest",
            _ => null,
        };
        if (messageName is null)
        {
            TrailersOnly(context, 12, $"fake server: no method {method}");
            return;
        }

        WireMessage message;
        try
        {
            message = WireMessage.Decode(messageName, body.AsSpan(5));
        }
        catch (Exception ex) when (ex is WireFormatException or Google.Protobuf.InvalidProtocolBufferException)
        {
            Reject(context, $"fake server: {messageName} does not decode as Spark's: {ex.Message}");
            return;
        }

        var (sql, planShape) = method switch
        {
            "ExecutePlan" => PlanOf(message),
            "AnalyzePlan" => message.Has("spark_version") ? (VersionScriptKey, "spark_version") : (null, "analyze without spark_version"),
            _ => (null, null),
        };
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var received = new ReceivedRequest(method, sql, planShape, message.String("session_id"), message, headers);
        _received.Enqueue(received);
        var call = new FakeCall(this, context, received);

        switch (method)
        {
            case "ReattachExecute":
                await ReattachAsync(call);
                return;
            case "ReleaseExecute":
                await ReleaseExecuteAsync(call);
                return;
            case "ReleaseSession":
                await call.WriteAsync(new WireBuilder("ReleaseSessionResponse").Set("session_id", call.SessionId).Set("server_side_session_id", ServerSideSessionId));
                call.Finish();
                return;
        }

        if (sql is null)
        {
            Reject(context, $"fake server: unexpected {method} request shape: {planShape}");
            return;
        }

        var script = _scripts.TryGetValue(sql, out var bySql) ? bySql
            : _sessions.TryGetValue(received.SessionId, out var bySession) ? bySession
            : null;
        if (script is null)
        {
            Reject(context, $"fake server: no script for '{sql}'");
            return;
        }

        context.Response.ContentType = "application/grpc";
        await script(call);
    }

    private async Task ReattachAsync(FakeCall call)
    {
        var operationId = call.Request.Message.String("operation_id");
        if (!_executions.TryGetValue(operationId, out var execution) || execution.Released)
        {
            // What Spark answers for an operation it does not hold (any more).
            call.Context.Response.ContentType = "application/grpc";
            call.Finish(13, Uri.EscapeDataString($"[INVALID_HANDLE.OPERATION_NOT_FOUND] The handle {operationId} is invalid."));
            return;
        }

        var last = call.Request.Message.StringOrNull("last_response_id");
        var from = last is null ? 0 : execution.IndexAfter(last);
        call.Context.Response.ContentType = "application/grpc";
        await execution.StreamAsync(call, from);
    }

    private async Task ReleaseExecuteAsync(FakeCall call)
    {
        var operationId = call.Request.Message.String("operation_id");
        var response = new WireBuilder("ReleaseExecuteResponse").Set("session_id", call.SessionId).Set("server_side_session_id", ServerSideSessionId);
        if (_executions.TryGetValue(operationId, out var execution))
        {
            execution.Released = true;
            response.Set("operation_id", operationId);
        }

        call.Context.Response.ContentType = "application/grpc";
        await call.WriteAsync(response);
        call.Finish();
        _released.GetOrAdd(operationId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private static (string? Sql, string Shape) PlanOf(WireMessage request)
    {
        var plan = request.Message("plan");
        if (plan?.Message("root") is { } root)
            return root.Message("sql") is { } sqlRelation ? (sqlRelation.String("query"), "root.sql") : (null, $"root.{root.WhichOf("common", "local_relation")}");
        if (plan?.Message("command") is { } command)
            return command.Message("sql_command") is { } sqlCommand ? (sqlCommand.String("sql"), "command.sql_command") : (null, "command without sql_command");
        return (null, "no plan");
    }

    private static async Task<byte[]> ReadBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static void Reject(HttpContext context, string message) => TrailersOnly(context, 3, message);

    private static void TrailersOnly(HttpContext context, int status, string message)
    {
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = status.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }

    private static X509Certificate2 CreateSelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Kestrel needs a certificate whose private key it can use for TLS: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }
}

/// <summary>One loopback server for every Spark Connect test class (Kestrel start-up is the costly part).</summary>
[CollectionDefinition(Name)]
public sealed class FakeSparkConnectServerCollection : ICollectionFixture<FakeSparkConnectServer>
{
    public const string Name = "Fake Spark Connect server";
}

/// <summary>One decoded request as the fake server saw it.</summary>
public sealed record ReceivedRequest(string Method, string? Sql, string? PlanShape, string SessionId, WireMessage Message, IReadOnlyDictionary<string, string> Headers)
{
    public string OperationId => Message.String("operation_id");
}

/// <summary>How one stream of an execution ends before the execution is complete.</summary>
/// <param name="After">How many of the execution's responses have been sent when it ends.</param>
/// <param name="Cut">Reset the stream (as a crashing proxy would) instead of ending it OK without ResultComplete.</param>
public readonly record struct StreamEnd(int After, bool Cut = false);

/// <summary>
/// An execution as Spark holds it: its responses, stamped with session, operation and response ids, sent over one
/// or more streams (ExecutePlan, then ReattachExecute) and ending with ResultComplete when reattachable.
/// </summary>
internal sealed class FakeExecution(string operationId, bool reattachable, IReadOnlyList<WireBuilder> responses, IReadOnlyList<StreamEnd> ends)
{
    private readonly string[] _responseIds = [.. responses.Select(_ => Guid.NewGuid().ToString("D"))];
    private int _streams;

    public string OperationId => operationId;

    public bool Released { get; set; }

    public int IndexAfter(string responseId) => Array.IndexOf(_responseIds, responseId) + 1;

    public async Task StreamAsync(FakeCall call, int from)
    {
        var end = _streams < ends.Count ? ends[_streams] : (StreamEnd?)null;
        _streams++;
        var until = end?.After ?? responses.Count;
        for (var i = from; i < until; i++)
            await call.WriteAsync(Stamp(call, responses[i].Copy()).Set("response_id", _responseIds[i]));
        if (end is { Cut: true })
        {
            call.Cut();
            return;
        }

        if (end is null && reattachable)
            await call.WriteAsync(Stamp(call, new WireBuilder("ExecutePlanResponse")).Set("response_id", Guid.NewGuid().ToString("D"))
                .Set("result_complete", new WireBuilder("ExecutePlanResponse.ResultComplete")));
        call.Finish();
    }

    private WireBuilder Stamp(FakeCall call, WireBuilder response) => response
        .Set("session_id", call.SessionId)
        .Set("server_side_session_id", call.Server.ServerSideSessionId)
        .Set("operation_id", operationId);
}

/// <summary>What a script can do with one call: answer as Spark does, or write raw messages, fail, cut.</summary>
public sealed class FakeCall(FakeSparkConnectServer server, HttpContext context, ReceivedRequest request)
{
    public FakeSparkConnectServer Server { get; } = server;

    public HttpContext Context { get; } = context;

    public ReceivedRequest Request { get; } = request;

    /// <summary>The request's session id, echoed in every response as Spark does.</summary>
    public string SessionId => Request.SessionId;

    /// <summary>Whether the request asked for a reattachable execution (request_options[].reattach_options.reattachable).</summary>
    public bool Reattachable => Request.Message.Messages("request_options").Any(o => o.Message("reattach_options")?.Bool("reattachable") == true);

    /// <summary>
    /// Answers as Spark does: each of <paramref name="responses"/> (ExecutePlanResponse builders without ids) stamped
    /// with the ids, then ResultComplete for a reattachable execution. <paramref name="ends"/> end the first streams
    /// early, one each, so the client must ReattachExecute for the rest.
    /// </summary>
    public Task RespondAsync(IReadOnlyList<WireBuilder> responses, params StreamEnd[] ends)
    {
        var execution = new FakeExecution(Request.OperationId, Reattachable, responses, ends);
        Server.Register(execution);
        return execution.StreamAsync(this, 0);
    }

    public static byte[] Frame(byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    public Task WriteAsync(WireBuilder message) => WriteBytesAsync(Frame(message.ToByteArray()));

    /// <summary>Writes and flushes each piece separately, so HTTP/2 DATA frames end exactly there.</summary>
    public async Task WriteInPiecesAsync(byte[] bytes, params int[] pieceSizes)
    {
        var position = 0;
        var piece = 0;
        while (position < bytes.Length)
        {
            var size = Math.Min(pieceSizes[piece++ % pieceSizes.Length], bytes.Length - position);
            await WriteBytesAsync(bytes.AsMemory(position, size));
            position += size;
        }
    }

    public async Task WriteBytesAsync(ReadOnlyMemory<byte> bytes)
    {
        await Context.Response.Body.WriteAsync(bytes, Context.RequestAborted);
        await Context.Response.Body.FlushAsync(Context.RequestAborted);
    }

    /// <summary>Ends a normal response: the status goes into the trailers.</summary>
    public void Finish(int status = 0, string? message = null, string? detailsBin = null)
    {
        Context.Response.AppendTrailer("grpc-status", status.ToString(CultureInfo.InvariantCulture));
        if (message is not null)
            Context.Response.AppendTrailer("grpc-message", message);
        if (detailsBin is not null)
            Context.Response.AppendTrailer("grpc-status-details-bin", detailsBin);
    }

    /// <summary>A trailers-only response: one HEADERS frame with the status and END_STREAM, no body.</summary>
    public void TrailersOnly(int status, string? message = null)
    {
        Context.Response.Headers["grpc-status"] = status.ToString(CultureInfo.InvariantCulture);
        if (message is not null)
            Context.Response.Headers["grpc-message"] = message;
    }

    /// <summary>Resets the HTTP/2 stream (RST_STREAM), as a crashing server or proxy would.</summary>
    public void Cut() => Context.Abort();
}
