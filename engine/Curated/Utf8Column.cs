namespace KpiPipeline.Curated;

/// <summary>
/// A column of UTF-8 values laid end to end in one byte array: a block of lines holds its text without a
/// string or an array per value. A value may be null (nullable columns only).
/// </summary>
internal sealed class Utf8Column
{
    private byte[] _bytes;
    private int[] _ends;     // end offset of each value; ~end (negative) marks a null value
    private int _used;

    public Utf8Column(int capacity, int averageBytes)
    {
        _ends = new int[capacity];
        _bytes = new byte[Math.Max(16, capacity * averageBytes)];
    }

    public int Count { get; private set; }

    /// <summary>All values' bytes, end to end (for handing a whole column to a writer).</summary>
    internal byte[] Bytes => _bytes;

    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            var (start, length) = Range(index);
            return _bytes.AsSpan(start, length);
        }
    }

    public bool IsNull(int index) => _ends[index] < 0;

    /// <summary>Offset and length of a value in <see cref="Bytes"/> (length 0 for null).</summary>
    public (int Start, int Length) Range(int index)
    {
        var start = index == 0 ? 0 : Decode(_ends[index - 1]);
        return (start, Decode(_ends[index]) - start);
    }

    public void Add(ReadOnlySpan<byte> value)
    {
        EnsureRoom(value.Length);
        value.CopyTo(_bytes.AsSpan(_used));
        _used += value.Length;
        _ends[Count++] = _used;
    }

    /// <summary>Appends <paramref name="count"/> values of another column from <paramref name="start"/> on, in one copy.</summary>
    public void AddRange(Utf8Column source, int start, int count)
    {
        if (count == 0)
            return;
        var from = start == 0 ? 0 : Decode(source._ends[start - 1]);
        var bytes = Decode(source._ends[start + count - 1]) - from;
        EnsureRoom(bytes, count);
        source._bytes.AsSpan(from, bytes).CopyTo(_bytes.AsSpan(_used));
        var shift = _used - from;
        var ends = _ends.AsSpan(Count, count);
        var sourceEnds = source._ends.AsSpan(start, count);
        for (var i = 0; i < ends.Length; i++)
        {
            var end = sourceEnds[i];
            ends[i] = end < 0 ? ~(~end + shift) : end + shift;
        }
        _used += bytes;
        Count += count;
    }

    public void AddNull()
    {
        EnsureRoom(0);
        _ends[Count++] = ~_used;
    }

    public void Clear()
    {
        Count = 0;
        _used = 0;
    }

    private static int Decode(int end) => end < 0 ? ~end : end;

    private void EnsureRoom(int bytes, int values = 1)
    {
        if (_ends.Length - Count < values)
            Array.Resize(ref _ends, Math.Max(_ends.Length * 2, Count + values));
        if (_bytes.Length - _used < bytes)
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + bytes));
    }
}
