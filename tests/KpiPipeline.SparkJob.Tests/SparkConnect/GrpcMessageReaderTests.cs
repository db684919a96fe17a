using Google.Protobuf;
using KpiPipeline.SparkJob.SparkConnect;
using KpiPipeline.SparkJob.SparkConnect.Protocol;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

public sealed class GrpcMessageReaderTests
{
    private static readonly byte[][] Payloads =
    [
        new ExecutePlanResponse { SessionId = "s", OperationId = "op-1" }.ToByteArray(),
        [],
        Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(),
    ];

    [Fact]
    public async Task ReadMessageAsync_EveryReadSize_ReassemblesMessagesIdentically()
    {
        var wire = Payloads.SelectMany(Frame).ToArray();

        // Reads of 1..wire.Length bytes: every message boundary falls inside some read, and
        // every read boundary inside some prefix or payload.
        for (var readSize = 1; readSize <= wire.Length; readSize++)
        {
            var reader = CreateSut(new ChunkedStream(wire, readSize));

            foreach (var expected in Payloads)
                Assert.Equal(expected, await reader.ReadMessageAsync(CancellationToken.None));
            Assert.Null(await reader.ReadMessageAsync(CancellationToken.None));
        }
    }

    [Fact]
    public async Task ReadMessageAsync_EmptyBody_ReturnsNull()
    {
        Assert.Null(await CreateSut(new ChunkedStream([], 1)).ReadMessageAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(1, "a message of 5 bytes ended after 1.")]
    [InlineData(4, "a message of 5 bytes ended after 4.")]
    [InlineData(5, "a message of 300 bytes ended after 0.")]
    [InlineData(100, "a message of 300 bytes ended after 95.")]
    public async Task ReadMessageAsync_BodyEndsInsideMessage_ThrowsStreamCut(int keep, string detail)
    {
        var wire = Frame(Payloads[2]).Take(keep).ToArray();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => CreateSut(new ChunkedStream(wire, 7)).ReadMessageAsync(CancellationToken.None).AsTask());

        Assert.Equal("Spark Connect ExecutePlan stream from h:1 was cut midway: " + detail, ex.Message);
    }

    [Theory]
    [InlineData(1, "Spark Connect ExecutePlan at h:1 sent a compressed gRPC message, which this client never asks for.")]
    [InlineData(2, "Spark Connect ExecutePlan at h:1 sent a gRPC message with invalid flag byte 0x02.")]
    public async Task ReadMessageAsync_FlagNotZero_Throws(byte flag, string expected)
    {
        var wire = Frame([1, 2, 3]);
        wire[0] = flag;

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => CreateSut(new ChunkedStream(wire, 64)).ReadMessageAsync(CancellationToken.None).AsTask());

        Assert.Equal(expected, ex.Message);
    }

    [Fact]
    public async Task ReadMessageAsync_LengthOverLimit_ThrowsBeforeAllocating()
    {
        byte[] wire = [0, 0xFF, 0xFF, 0xFF, 0xFF];

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => CreateSut(new ChunkedStream(wire, 64)).ReadMessageAsync(CancellationToken.None).AsTask());

        Assert.Equal("Spark Connect ExecutePlan at h:1 sent a 4294967295-byte message, more than grpc_max_message_size=1024.", ex.Message);
    }

    private static GrpcMessageReader CreateSut(Stream stream) => new(stream, maxMessageSize: 1024, endpoint: "h:1", method: "ExecutePlan");

    private static byte[] Frame(byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>Hands out at most <c>readSize</c> bytes per read, like a body arriving in small DATA frames.</summary>
    private sealed class ChunkedStream(byte[] data, int readSize) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(readSize, buffer.Length), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
