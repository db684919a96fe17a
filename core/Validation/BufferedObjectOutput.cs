using System.Globalization;
using System.Text;
using KpiPipeline.Lake;

namespace KpiPipeline.Validation;

/// <summary>
/// An object being written, with rows appended synchronously to a buffer and written out in large
/// chunks: one async write per row would cost more than validating it.
/// </summary>
internal sealed class BufferedObjectOutput : IAsyncDisposable
{
    private const int FlushThreshold = 1024 * 1024;
    private static readonly byte[] QuoteChars = [(byte)'"', (byte)',', (byte)'\n', (byte)'\r'];

    private readonly IObjectWriter _writer;
    private byte[] _buffer = new byte[FlushThreshold * 2];
    private int _used;
    private long _flushed;

    private BufferedObjectOutput(IObjectWriter writer)
    {
        _writer = writer;
    }

    public static async Task<BufferedObjectOutput> CreateAsync(IObjectStore store, string key, CancellationToken cancellationToken) =>
        new(await store.CreateAsync(key, cancellationToken).ConfigureAwait(false));

    public bool ShouldFlush => _used >= FlushThreshold;

    /// <summary>Bytes appended so far, flushed or not.</summary>
    public long Length => _flushed + _used;

    /// <summary>Drops what was appended after <paramref name="length"/>; only bytes not flushed yet can be dropped.</summary>
    public void TruncateTo(long length)
    {
        if (length < _flushed || length > Length)
            throw new ArgumentOutOfRangeException(nameof(length), length, "Only bytes appended since the last flush can be dropped.");
        _used = (int)(length - _flushed);
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_used));
        _used += bytes.Length;
    }

    public void AppendLine(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length + 1);
        bytes.CopyTo(_buffer.AsSpan(_used));
        _used += bytes.Length;
        _buffer[_used++] = (byte)'\n';
    }

    /// <summary>Appends one CSV field (RFC 4180 quoting when needed) and, unless it is the last, a comma.</summary>
    public void AppendField(ReadOnlySpan<byte> value, bool last = false)
    {
        if (value.IndexOfAny(QuoteChars) < 0)
        {
            Append(value);
        }
        else
        {
            Reserve((value.Length * 2) + 2);
            _buffer[_used++] = (byte)'"';
            foreach (var b in value)
            {
                _buffer[_used++] = b;
                if (b == (byte)'"')
                    _buffer[_used++] = b;
            }
            _buffer[_used++] = (byte)'"';
        }
        Append(last ? "\n"u8 : ","u8);
    }

    public void AppendField(string? value, bool last = false) => AppendField(Encoding.UTF8.GetBytes(value ?? ""), last);

    public void AppendField(long value, bool last = false) => AppendField(value.ToString(CultureInfo.InvariantCulture), last);

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_used == 0)
            return;
        await _writer.Stream.WriteAsync(_buffer.AsMemory(0, _used), cancellationToken).ConfigureAwait(false);
        _flushed += _used;
        _used = 0;
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await _writer.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Discards the object unless it was committed.</summary>
    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private void Reserve(int bytes)
    {
        if (_buffer.Length - _used < bytes)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _used + bytes));
    }
}
