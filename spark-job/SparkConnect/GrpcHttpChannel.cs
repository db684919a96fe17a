using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// gRPC over HTTP/2 with plain <see cref="HttpClient"/> (Grpc.Net.Client does not restore here):
/// one POST per call, the request as one length-prefixed message, the response read incrementally.
/// </summary>
internal sealed class GrpcHttpChannel : IDisposable
{
    // A refused connection fails at once; this bounds the silent cases (dropped SYNs, wrong VPC).
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    private static readonly MediaTypeHeaderValue GrpcContentType = new("application/grpc");

    private readonly HttpClient _http;
    private readonly SparkConnectionString _connection;
    private readonly string _userAgent;

    public GrpcHttpChannel(SparkConnectionString connection, string userAgent, Action<SocketsHttpHandler>? configureHandler)
    {
        _connection = connection;
        _userAgent = userAgent;
        Endpoint = $"{(connection.Host.Contains(':', StringComparison.Ordinal) ? $"[{connection.Host}]" : connection.Host)}:{connection.Port.ToString(CultureInfo.InvariantCulture)}";

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = ConnectTimeout,
            // Several concurrent streams (e.g. parallel KPI queries) must not queue behind the
            // server's SETTINGS_MAX_CONCURRENT_STREAMS on a single connection.
            EnableMultipleHttp2Connections = true,
            AutomaticDecompression = DecompressionMethods.None,
            // Prior-knowledge h2c cannot pass through an HTTP proxy (it would forward HTTP/1.1), so a
            // plaintext endpoint is always reached directly; TLS may tunnel through HTTPS_PROXY (CONNECT).
            UseProxy = connection.UseSsl,
        };
        configureHandler?.Invoke(handler);
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = connection.Endpoint,
            // Spark jobs run for minutes; the default 100 s would kill them. Callers cancel instead.
            Timeout = Timeout.InfiniteTimeSpan,
            // h2c needs Exact: the default RequestVersionOrLower never tries HTTP/2 without TLS.
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    /// <summary>host:port, for messages.</summary>
    public string Endpoint { get; }

    public int MaxMessageSize => _connection.MaxMessageSize;

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="method"/> (e.g. <c>ExecutePlan</c>) and returns once
    /// the response headers are in; a trailers-only error is thrown here, everything else while reading.
    /// </summary>
    public async Task<GrpcResponseStream> StartCallAsync(string method, IMessage request, CancellationToken cancellationToken)
    {
        // The request lives as long as the response: with HTTP/2 the server may answer before it
        // has read the whole request body.
        var httpRequest = CreateRequest(method, request);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(httpRequest, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            httpRequest.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            throw ex.HttpRequestError switch
            {
                HttpRequestError.SecureConnectionError => SparkConnectErrors.TlsFailed(Endpoint, ex),
                HttpRequestError.HttpProtocolError or HttpRequestError.VersionNegotiationError or HttpRequestError.InvalidResponse
                    => SparkConnectErrors.NotHttp2(Endpoint, _connection.UseSsl, ex),
                _ => SparkConnectErrors.Unreachable(Endpoint, ex),
            };
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            httpRequest.Dispose();
            // With an infinite HttpClient timeout, only the connect timeout cancels without our token.
            throw SparkConnectErrors.ConnectTimeout(Endpoint, ConnectTimeout, ex);
        }
        catch
        {
            httpRequest.Dispose();
            throw;
        }

        try
        {
            if (response.StatusCode != HttpStatusCode.OK)
                throw SparkConnectErrors.HttpStatus(Endpoint, method, response.StatusCode);

            // Trailers-only response (immediate errors such as UNAUTHENTICATED): the one HEADERS
            // block carries grpc-status, so HttpClient shows it among the ordinary headers.
            if (GrpcStatus.TryRead(response.Headers, out var status))
            {
                status.ThrowIfError(Endpoint, method);
                return new GrpcResponseStream(this, method, httpRequest, response, body: null);
            }

            var contentType = response.Content.Headers.ContentType?.MediaType;
            if (contentType is null || !contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
                throw SparkConnectErrors.NotGrpc(Endpoint, method, contentType);

            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new GrpcResponseStream(this, method, httpRequest, response, body);
        }
        catch
        {
            response.Dispose();
            httpRequest.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();

    private HttpRequestMessage CreateRequest(string method, IMessage message)
    {
        var size = message.CalculateSize();
        var frame = new byte[5 + size];
        frame[0] = 0; // not compressed
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)size);
        message.WriteTo(frame.AsSpan(5));

        var content = new ByteArrayContent(frame);
        content.Headers.ContentType = GrpcContentType;

        var request = new HttpRequestMessage(HttpMethod.Post, $"/spark.connect.SparkConnectService/{method}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        // Required by the gRPC spec (proxies use it to know trailers are expected); grpc-dotnet sends it too.
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.TryAddWithoutValidation("user-agent", _userAgent);
        if (_connection.Token is { } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var (name, value) in _connection.Headers)
            request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }
}
