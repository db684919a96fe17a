using System.Net.Http;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// The response side of one gRPC call: messages in order, then the status from the trailers,
/// which HttpClient only fills in once the body has been read to its end.
/// </summary>
internal sealed class GrpcResponseStream : IDisposable
{
    private readonly GrpcHttpChannel _channel;
    private readonly string _method;
    private readonly HttpRequestMessage _request;
    private readonly HttpResponseMessage _response;
    private readonly Stream? _body;
    private readonly GrpcMessageReader? _reader;
    private bool _completed;

    /// <param name="body">Null for a trailers-only response whose status was OK: no messages follow.</param>
    public GrpcResponseStream(GrpcHttpChannel channel, string method, HttpRequestMessage request, HttpResponseMessage response, Stream? body)
    {
        _channel = channel;
        _method = method;
        _request = request;
        _response = response;
        _body = body;
        _reader = body is null ? null : new GrpcMessageReader(body, channel.MaxMessageSize, channel.Endpoint, method);
        _completed = body is null;
    }

    /// <summary>
    /// The next message, or null once the stream has ended with status OK. A non-OK status, a cut
    /// stream or a missing status throws <see cref="SparkConnectException"/>.
    /// </summary>
    public async ValueTask<byte[]?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        if (_completed)
            return null;

        byte[]? message;
        try
        {
            message = await _reader!.ReadMessageAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            // Our own cancellation resets the stream too; that is a cancellation, not a cut.
            cancellationToken.ThrowIfCancellationRequested();
            // RST_STREAM, GOAWAY or a dropped connection in the middle of the response.
            throw SparkConnectErrors.StreamCut(_channel.Endpoint, _method, ex);
        }

        if (message is not null)
            return message;

        _completed = true;
        if (!GrpcStatus.TryRead(_response.TrailingHeaders, out var status))
            throw SparkConnectErrors.MissingStatus(_channel.Endpoint, _method);
        status.ThrowIfError(_channel.Endpoint, _method);
        return null;
    }

    public void Dispose()
    {
        // Disposing before the end resets the HTTP/2 stream, which is how an abandoned or
        // cancelled call tells the server to stop.
        _body?.Dispose();
        _response.Dispose();
        _request.Dispose();
    }
}
