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

    private void EnsureRoom(int bytes)
    {
        if (Count == _ends.Length)
            Array.Resize(ref _ends, _ends.Length * 2);
        if (_bytes.Length - _used < bytes)
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + bytes));
    }
}
