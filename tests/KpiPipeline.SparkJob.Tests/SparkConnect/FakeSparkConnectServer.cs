using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KpiPipeline.SparkJob.SparkConnect.Protocol;
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
/// A loopback Spark Connect server on Kestrel: HTTP/2 without TLS (h2c, as a real Spark server)
/// and HTTP/2 over TLS with a throw-away self-signed certificate. It decodes every request with
/// the generated messages, checks the gRPC envelope and the plan shape, records the request, and
/// answers with the script registered for the request's SQL text, so tests sharing one server
/// never see each other's responses.
/// </summary>
public sealed class FakeSparkConnectServer : IAsyncLifetime
{
    public const string VersionScriptKey = "AnalyzePlan/spark_version";

    private readonly ConcurrentDictionary<string, Func<FakeCall, Task>> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();
    private WebApplication? _app;

    public int PlaintextPort { get; private set; }

    public int TlsPort { get; private set; }

    public X509Certificate2 Certificate { get; } = CreateSelfSignedCertificate();

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

    /// <summary>Answers every request whose SQL text is <paramref name="sql"/> with <paramref name="script"/>.</summary>
    public void When(string sql, Func<FakeCall, Task> script) => _scripts[sql] = script;

    public IReadOnlyList<ReceivedRequest> ReceivedFor(string sql) => [.. _received.Where(r => r.Sql == sql)];

    /// <summary>Every request of one client session, in arrival order.</summary>
    public IReadOnlyList<ReceivedRequest> ReceivedInSession(string sessionId) => [.. _received.Where(r => r.SessionId == sessionId)];

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
            await RejectAsync(context, $"fake server: bad gRPC request ({problem})");
            return;
        }

        var payload = body.AsSpan(5).ToArray();
        var (sql, plan, request) = method switch
        {
            "ExecutePlan" => DecodeExecutePlan(payload),
            "AnalyzePlan" => (VersionScriptKey, "spark_version", (IMessage)AnalyzePlanRequest.Parser.ParseFrom(payload)),
            _ => (null, null, null),
        };
        if (sql is null || request is null)
        {
            await RejectAsync(context, $"fake server: unexpected {method} request shape: {plan}");
            return;
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var sessionId = request switch
        {
            ExecutePlanRequest execute => execute.SessionId,
            AnalyzePlanRequest analyze => analyze.SessionId,
            _ => string.Empty,
        };
        var received = new ReceivedRequest(method, sql, plan!, sessionId, request, headers);
        _received.Enqueue(received);

        if (!_scripts.TryGetValue(sql, out var script))
        {
            await RejectAsync(context, $"fake server: no script for '{sql}'");
            return;
        }

        context.Response.ContentType = "application/grpc";
        await script(new FakeCall(context, received));
    }

    private static (string? Sql, string? PlanShape, IMessage? Request) DecodeExecutePlan(byte[] payload)
    {
        var request = ExecutePlanRequest.Parser.ParseFrom(payload);
        var plan = request.Plan;
        return plan?.OpTypeCase switch
        {
            Plan.OpTypeOneofCase.Root when plan.Root.RelTypeCase == Relation.RelTypeOneofCase.Sql
                => (plan.Root.Sql.Query, "root.sql", request),
            Plan.OpTypeOneofCase.Command when plan.Command.CommandTypeCase == Command.CommandTypeOneofCase.SqlCommand
                => (plan.Command.SqlCommand.Sql, "command.sql_command", request),
            _ => (null, plan?.ToString() ?? "no plan", null),
        };
    }

    private static async Task<byte[]> ReadBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static Task RejectAsync(HttpContext context, string message)
    {
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = "3";
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return Task.CompletedTask;
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
public sealed record ReceivedRequest(string Method, string Sql, string PlanShape, string SessionId, IMessage Message, IReadOnlyDictionary<string, string> Headers)
{
    internal ExecutePlanRequest ExecutePlan => (ExecutePlanRequest)Message;
}

/// <summary>What a script can do with one call: write messages (whole or in awkward pieces), end, fail, cut.</summary>
public sealed class FakeCall(HttpContext context, ReceivedRequest request)
{
    public HttpContext Context { get; } = context;

    public ReceivedRequest Request { get; } = request;

    /// <summary>The request's session id, echoed in every response as Spark does.</summary>
    public string SessionId => Request.SessionId;

    public static byte[] Frame(IMessage message)
    {
        var payload = message.ToByteArray();
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    public Task WriteAsync(IMessage message) => WriteBytesAsync(Frame(message));

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
        Context.Response.AppendTrailer("grpc-status", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (message is not null)
            Context.Response.AppendTrailer("grpc-message", message);
        if (detailsBin is not null)
            Context.Response.AppendTrailer("grpc-status-details-bin", detailsBin);
    }

    /// <summary>A trailers-only response: one HEADERS frame with the status and END_STREAM, no body.</summary>
    public void TrailersOnly(int status, string? message = null)
    {
        Context.Response.Headers["grpc-status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (message is not null)
            Context.Response.Headers["grpc-message"] = message;
    }

    /// <summary>Resets the HTTP/2 stream (RST_STREAM), as a crashing server or proxy would.</summary>
    public void Cut() => Context.Abort();
}
