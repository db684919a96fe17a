using System.Buffers.Binary;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// Reads gRPC Length-Prefixed-Messages (1 flag byte, 4-byte big-endian length, payload) from a
/// response body. HTTP/2 DATA frame boundaries have nothing to do with message boundaries, so a
/// message may arrive in many reads and one read may hold several messages: every read here asks
/// for "at least what is still missing" and keeps the rest for the next call.
/// </summary>
internal sealed class GrpcMessageReader
{
    private const int PrefixLength = 5;

    private readonly Stream _stream;
    private readonly int _maxMessageSize;
    private readonly string _endpoint;
    private readonly string _method;
    private readonly byte[] _prefix = new byte[PrefixLength];

    public GrpcMessageReader(Stream stream, int maxMessageSize, string endpoint, string method)
    {
        _stream = stream;
        _maxMessageSize = maxMessageSize;
        _endpoint = endpoint;
        _method = method;
    }

    /// <summary>The next message payload, or null at a clean end of the body (between messages).</summary>
    public async ValueTask<byte[]?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var prefixRead = await _stream.ReadAtLeastAsync(_prefix, PrefixLength, throwOnEndOfStream: false, cancellationToken);
        if (prefixRead == 0)
            return null;
        if (prefixRead < PrefixLength)
            throw SparkConnectErrors.StreamCut(_endpoint, _method, PrefixLength, prefixRead);

        switch (_prefix[0])
        {
            case 0:
                break;
            case 1:
                // We send no grpc-accept-encoding, so a compressed message is a protocol violation.
                throw SparkConnectErrors.CompressedMessage(_endpoint, _method);
            default:
                throw SparkConnectErrors.InvalidFrameFlag(_endpoint, _method, _prefix[0]);
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_prefix.AsSpan(1));
        if (length > (uint)_maxMessageSize)
            throw SparkConnectErrors.MessageTooLarge(_endpoint, _method, length, _maxMessageSize);

        var payload = new byte[length];
        if (length == 0)
            return payload;
        var payloadRead = await _stream.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellationToken);
        if (payloadRead < payload.Length)
            throw SparkConnectErrors.StreamCut(_endpoint, _method, length, payloadRead);
        return payload;
    }
}
