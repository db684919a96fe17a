using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KpiPipeline.Csv;

/// <summary>Why a record could not be split into fields. The record is still returned so the caller can report it.</summary>
public enum CsvRecordProblem
{
    None,

    /// <summary>
    /// A quoted field was never closed (at the end of the input, or within <see cref="CsvReaderOptions.MaxRecordBytes"/>).
    /// The record is then only the physical line the quote opened on, and reading resumes on the next line, so
    /// one stray quote costs one line instead of swallowing the rest of the file.
    /// </summary>
    UnterminatedQuote,

    /// <summary>Characters follow a closing quote before the next delimiter (<c>"ab"c</c>).</summary>
    TextAfterClosingQuote,

    /// <summary>The record is longer than <see cref="CsvReaderOptions.MaxRecordBytes"/>; its fields are not split.</summary>
    RecordTooLong,
}

public sealed record CsvReaderOptions
{
    public byte Delimiter { get; init; } = (byte)',';

    /// <summary>A record longer than this is reported as <see cref="CsvRecordProblem.RecordTooLong"/> instead of growing the buffer further.</summary>
    public int MaxRecordBytes { get; init; } = 16 * 1024 * 1024;

    public int BufferBytes { get; init; } = 1 << 20;
}

/// <summary>
/// A streaming RFC 4180 reader over UTF-8 bytes. It never materialises strings unless asked, keeps one
/// buffer, and tells for every record the physical line it starts on and how many lines it spans, so
/// errors can name the line. A UTF-8 BOM is skipped, CRLF and LF both end a record, quoted fields may hold
/// delimiters, doubled quotes and line breaks.
/// </summary>
/// <remarks>
/// Spans returned by the indexer and <see cref="RawRecord"/> are valid until the next <see cref="ReadAsync"/>.
/// A record with a <see cref="Problem"/> other than <see cref="CsvRecordProblem.TextAfterClosingQuote"/> has no fields.
/// </remarks>
public sealed class CsvReader : IDisposable
{
    private readonly Stream _stream;
    private readonly CsvReaderOptions _options;
    private readonly byte _delimiter;
    private readonly SearchValues<byte> _lineSpecials;
    private byte[] _buffer;
    private int _start;      // first unconsumed byte
    private int _end;        // one past the last valid byte
    private bool _eof;
    private bool _atStart = true;
    private bool _skipRestOfLine;
    private long _nextLine = 1;
    private long _bytesConsumed;

    private int[] _fieldStarts = new int[32];
    private int[] _fieldEnds = new int[32];
    // -1: the field is used as it stands in the buffer; -2: it needs unescaping that has not happened yet;
    // otherwise its offset in _scratch, where unescaped fields of the current record are appended.
    private int[] _unescaped = new int[32];
    private byte[] _scratch = new byte[256];
    private int _scratchUsed;
    private int _recordStart;
    private int _recordEnd;

    public CsvReader(Stream stream, CsvReaderOptions? options = null)
    {
        _stream = stream;
        _options = options ?? new CsvReaderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BufferBytes, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxRecordBytes, 1);
        if (_options.Delimiter is (byte)'"' or (byte)'\r' or (byte)'\n')
            throw new ArgumentOutOfRangeException(nameof(options), "The delimiter cannot be a quote or a line break.");
        _delimiter = _options.Delimiter;
        _lineSpecials = SearchValues.Create([(byte)'\n', (byte)'"']);
        _buffer = ArrayPool<byte>.Shared.Rent(_options.BufferBytes);
    }

    /// <summary>Number of fields of the current record.</summary>
    public int FieldCount { get; private set; }

    /// <summary>1-based physical line on which the current record starts.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Physical lines the current record spans (more than one when a quoted field holds line breaks).</summary>
    public int LineSpan { get; private set; }

    public CsvRecordProblem Problem { get; private set; }

    /// <summary>True when the record is an empty line.</summary>
    public bool IsBlank => _recordEnd == _recordStart && Problem == CsvRecordProblem.None;

    /// <summary>Bytes of input consumed so far, for progress reporting.</summary>
    public long BytesConsumed => _bytesConsumed;

    /// <summary>True when the input started with a UTF-8 byte order mark.</summary>
    public bool HadByteOrderMark { get; private set; }

    /// <summary>
    /// The record exactly as it stood in the input, without its line ending. For a
    /// <see cref="CsvRecordProblem.RecordTooLong"/> record, only the part that fitted in the buffer.
    /// </summary>
    public ReadOnlySpan<byte> RawRecord => _buffer.AsSpan(_recordStart, _recordEnd - _recordStart);

    /// <summary>The field's content with surrounding quotes removed and doubled quotes undone.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)FieldCount);
            var state = _unescaped[index];
            if (state == -1)
                return _buffer.AsSpan(_fieldStarts[index], _fieldEnds[index] - _fieldStarts[index]);
            if (state == -2)
                state = Unescape(index);
            return _scratch.AsSpan(state, UnescapedLength(index));
        }
    }

    public string GetString(int index) => System.Text.Encoding.UTF8.GetString(this[index]);

    /// <summary>Advances to the next record. Completes synchronously while the buffer holds a whole record.</summary>
    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (TryParseRecord())
            return new ValueTask<bool>(true);
        return ReadSlowAsync(cancellationToken);
    }

    private async ValueTask<bool> ReadSlowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_eof)
                return TryParseRecord();
            await FillAsync(cancellationToken).ConfigureAwait(false);
            if (TryParseRecord())
                return true;
        }
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            // Slide the unconsumed tail to the front so a record never straddles the buffer's end.
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
            _eof = true;
        _end += read;
        if (_atStart && (_end >= 3 || _eof))
        {
            _atStart = false;
            if (_end >= 3 && _buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF)
            {
                HadByteOrderMark = true;
                _start = 3;
                _bytesConsumed = 3;
            }
        }
    }

    /// <summary>Parses one record from the buffer; false when more input is needed (or the input is exhausted).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryParseRecord()
    {
        if (_atStart)
            return false;
        if (_skipRestOfLine && !SkipRestOfOverlongLine())
            return false;
        var available = _buffer.AsSpan(_start, _end - _start);
        if (available.IsEmpty)
            return false;

        // Fast path: one vectorised scan finds the line end or proves there is a quote to deal with.
        var special = available.IndexOfAny(_lineSpecials);
        if (special >= 0 && available[special] == (byte)'"')
            return TryParseQuoted();
        if (special < 0 && !_eof)
            return NeedMore(available.Length);
        var lineLength = special < 0 ? available.Length : special;
        var contentLength = lineLength > 0 && available[lineLength - 1] == (byte)'\r' ? lineLength - 1 : lineLength;
        SplitUnquoted(_start, contentLength);
        Complete(_start, _start + contentLength, special < 0 ? lineLength : lineLength + 1, lines: 1);
        return true;
    }

    /// <summary>False (read more) unless the buffered part of the record already exceeds the limit.</summary>
    private bool NeedMore(int bufferedBytes)
    {
        if (bufferedBytes < _options.MaxRecordBytes)
            return false;
        ReportFirstLine(CsvRecordProblem.RecordTooLong);
        return true;
    }

    /// <summary>
    /// Reports the physical line at the start of the buffer as a record with a problem and no fields. When the
    /// line's end is not buffered (it is longer than the limit) the rest of it is skipped by the next reads.
    /// </summary>
    private void ReportFirstLine(CsvRecordProblem problem)
    {
        var available = _buffer.AsSpan(_start, _end - _start);
        var newline = available.IndexOf((byte)'\n');
        var consumed = newline < 0 ? available.Length : newline + 1;
        var lineComplete = newline >= 0 || _eof;
        var contentEnd = lineComplete ? TrimCr(available, newline < 0 ? available.Length : newline) : available.Length;
        // A line whose end is not even buffered is too long, whatever else is wrong with it.
        if (!lineComplete)
            problem = CsvRecordProblem.RecordTooLong;
        FieldCount = 0;
        Complete(_start, _start + contentEnd, consumed, lines: 1);
        Problem = problem;
        _skipRestOfLine = !lineComplete;
    }

    /// <summary>Discards the remainder of a line already reported as too long; false while its end is not buffered yet.</summary>
    private bool SkipRestOfOverlongLine()
    {
        var available = _buffer.AsSpan(_start, _end - _start);
        var newline = available.IndexOf((byte)'\n');
        var consumed = newline < 0 ? available.Length : newline + 1;
        _start += consumed;
        _bytesConsumed += consumed;
        if (newline < 0 && !_eof)
            return false;
        _skipRestOfLine = false;
        return true;
    }

    /// <remarks>
    /// Delimiters are found 16 bytes at a time as a bit mask, one field per set bit: fields are short, and a
    /// search call per field cost more than the comparisons themselves.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SplitUnquoted(int from, int length)
    {
        var fields = 0;
        var fieldStart = 0;
        var delimiter = _delimiter;
        // An empty line's record may sit at the buffer's very end: no byte to refer to, and nothing to scan.
        ref var first = ref length == 0 ? ref Unsafe.NullRef<byte>() : ref _buffer[from];
        var position = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var delimiters = Vector128.Create(delimiter);
            for (; position + Vector128<byte>.Count <= length; position += Vector128<byte>.Count)
            {
                var mask = Vector128.Equals(Vector128.LoadUnsafe(ref first, (nuint)position), delimiters).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    var at = position + BitOperations.TrailingZeroCount(mask);
                    AddField(ref fields, from + fieldStart, from + at);
                    fieldStart = at + 1;
                    mask &= mask - 1;
                }
            }
        }
        for (; position < length; position++)
        {
            if (Unsafe.Add(ref first, position) != delimiter)
                continue;
            AddField(ref fields, from + fieldStart, from + position);
            fieldStart = position + 1;
        }
        AddField(ref fields, from + fieldStart, from + length);
        FieldCount = fields;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddField(ref int fields, int start, int end)
    {
        if (fields == _fieldStarts.Length)
            EnsureFieldCapacity(fields + 1);
        _fieldStarts[fields] = start;
        _fieldEnds[fields] = end;
        _unescaped[fields] = -1;
        fields++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryParseQuoted()
    {
        var span = _buffer.AsSpan(_start, _end - _start);
        var delimiter = _delimiter;
        var fields = 0;
        var position = 0;
        var lines = 1;
        var problem = CsvRecordProblem.None;
        while (true)
        {
            EnsureFieldCapacity(fields + 1);
            _unescaped[fields] = -1;
            if (position < span.Length && span[position] == (byte)'"')
            {
                // Quoted field: find the closing quote, treating "" as an escaped quote.
                var contentStart = position + 1;
                var scan = contentStart;
                var escaped = false;
                int closing;
                while (true)
                {
                    var quote = scan >= span.Length ? -1 : span[scan..].IndexOf((byte)'"');
                    if (quote < 0)
                    {
                        closing = -1;
                        break;
                    }
                    scan += quote;
                    if (scan + 1 < span.Length && span[scan + 1] == (byte)'"')
                    {
                        escaped = true;
                        scan += 2;
                        continue;
                    }
                    if (scan + 1 >= span.Length && !_eof)
                        return NeedMore(span.Length);
                    closing = scan;
                    break;
                }
                if (closing < 0)
                {
                    if (!_eof && span.Length < _options.MaxRecordBytes)
                        return false;
                    // Never closed: most likely a stray quote. Give up on this one line only.
                    ReportFirstLine(CsvRecordProblem.UnterminatedQuote);
                    return true;
                }
                lines += span[contentStart..closing].Count((byte)'\n');
                _fieldStarts[fields] = _start + contentStart;
                _fieldEnds[fields] = _start + closing;
                _unescaped[fields] = escaped ? -2 : -1;
                fields++;
                position = closing + 1;
                if (position < span.Length && !IsFieldEnd(span, position, delimiter))
                {
                    problem = CsvRecordProblem.TextAfterClosingQuote;
                    // Swallow up to the next delimiter or line end so the remaining fields still line up.
                    var rest = span[position..].IndexOfAny(delimiter, (byte)'\n');
                    if (rest < 0)
                    {
                        if (!_eof)
                            return NeedMore(span.Length);
                        position = span.Length;
                    }
                    else
                    {
                        position += rest;
                    }
                }
            }
            else
            {
                var stop = span[position..].IndexOfAny(delimiter, (byte)'\n');
                if (stop < 0)
                {
                    if (!_eof)
                        return NeedMore(span.Length);
                    stop = span.Length - position;
                }
                var fieldEnd = position + stop;
                var trimmedEnd = fieldEnd;
                if ((fieldEnd == span.Length || span[fieldEnd] == (byte)'\n') && trimmedEnd > position && span[trimmedEnd - 1] == (byte)'\r')
                    trimmedEnd--;
                _fieldStarts[fields] = _start + position;
                _fieldEnds[fields] = _start + trimmedEnd;
                fields++;
                position = fieldEnd;
            }

            if (position >= span.Length)
            {
                if (!_eof)
                    return NeedMore(span.Length);
                FieldCount = fields;
                Complete(_start, _start + TrimCr(span, span.Length), span.Length, lines);
                Problem = problem;
                return true;
            }
            if (span[position] == delimiter)
            {
                position++;
                if (position >= span.Length && !_eof)
                    return NeedMore(span.Length);
                if (position >= span.Length)
                {
                    // A trailing delimiter at the very end of the input: one more, empty field.
                    EnsureFieldCapacity(fields + 1);
                    _fieldStarts[fields] = _start + position;
                    _fieldEnds[fields] = _start + position;
                    _unescaped[fields] = -1;
                    fields++;
                    FieldCount = fields;
                    Complete(_start, _start + position, position, lines);
                    Problem = problem;
                    return true;
                }
                continue;
            }
            // Line end: LF, CRLF, or a CR that ends the input.
            var newline = span[position..].IndexOf((byte)'\n');
            if (newline < 0 && !_eof)
                return NeedMore(span.Length);
            var consumed = newline < 0 ? span.Length : position + newline + 1;
            FieldCount = fields;
            Complete(_start, _start + TrimCr(span, position), consumed, lines);
            Problem = problem;
            return true;
        }
    }

    private static bool IsFieldEnd(ReadOnlySpan<byte> span, int position, byte delimiter) =>
        span[position] == delimiter
        || span[position] == (byte)'\n'
        || (span[position] == (byte)'\r' && (position + 1 == span.Length || span[position + 1] == (byte)'\n'));

    private static int TrimCr(ReadOnlySpan<byte> span, int end) => end > 0 && span[end - 1] == (byte)'\r' ? end - 1 : end;

    private void Complete(int recordStart, int recordEnd, int consumed, int lines)
    {
        _recordStart = recordStart;
        _recordEnd = recordEnd;
        _scratchUsed = 0;
        LineNumber = _nextLine;
        LineSpan = lines;
        _nextLine += lines;
        _start += consumed;
        _bytesConsumed += consumed;
        Problem = CsvRecordProblem.None;
    }

    private void EnsureFieldCapacity(int count)
    {
        if (count <= _fieldStarts.Length)
            return;
        var size = Math.Max(count, _fieldStarts.Length * 2);
        Array.Resize(ref _fieldStarts, size);
        Array.Resize(ref _fieldEnds, size);
        Array.Resize(ref _unescaped, size);
    }

    /// <summary>
    /// Undoes doubled quotes into the record's scratch area, once per field, so spans of several escaped
    /// fields of the same record stay valid side by side.
    /// </summary>
    private int Unescape(int index)
    {
        var quoted = _buffer.AsSpan(_fieldStarts[index], _fieldEnds[index] - _fieldStarts[index]);
        if (_scratch.Length - _scratchUsed < quoted.Length)
        {
            var bigger = new byte[Math.Max(_scratchUsed + quoted.Length, _scratch.Length * 2)];
            _scratch.AsSpan(0, _scratchUsed).CopyTo(bigger);
            _scratch = bigger;
        }
        var offset = _scratchUsed;
        var written = offset;
        for (var i = 0; i < quoted.Length; i++)
        {
            _scratch[written++] = quoted[i];
            if (quoted[i] == (byte)'"' && i + 1 < quoted.Length && quoted[i + 1] == (byte)'"')
                i++;
        }
        _scratchUsed = written;
        _unescaped[index] = offset;
        // Remember the unescaped length where the end offset was: the buffer slice is no longer needed.
        _fieldEnds[index] = _fieldStarts[index] + (written - offset);
        return offset;
    }

    private int UnescapedLength(int index) => _fieldEnds[index] - _fieldStarts[index];

    public void Dispose()
    {
        if (_buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _stream.Dispose();
    }
}
