using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using KpiPipeline.Contracts;

namespace KpiPipeline.Validation;

/// <summary>
/// One column of a file's sample, as the row checks read it: one entry per sampled row, which either holds a
/// value or is missing (the trimmed field was empty). Numbers and timestamps are kept typed, as the streaming
/// checks parsed them; text is kept as its UTF-8 bytes, so the sample costs no string per value.
/// The arrays are rented from the shared pool and go back to it once the file is inspected: a sample of ten
/// thousand rows per part file would otherwise put a few large arrays per file on the large object heap.
/// </summary>
public abstract class SampleColumn
{
    private const int InitialCapacity = 16 * 1024;

    private bool[] _has;

    private protected SampleColumn(ColumnSpec spec, int expectedRows)
    {
        Spec = spec;
        _has = ArrayPool<bool>.Shared.Rent(InitialLength(expectedRows));
    }

    public ColumnSpec Spec { get; }

    /// <summary>Rows the column has room for; every per-row array of a subclass is at least as long.</summary>
    private protected int Capacity => _has.Length;

    /// <summary>Room for the first rows; a file shorter than a large sample does not take the whole of it.</summary>
    private static int InitialLength(int expectedRows) => Math.Clamp(expectedRows, 1, InitialCapacity);

    /// <summary>Sampled rows, missing values included.</summary>
    public int Count { get; private set; }

    /// <summary>Rows that hold a value.</summary>
    public int ValueCount { get; private set; }

    /// <summary>Per row: true where it holds a value.</summary>
    public ReadOnlySpan<bool> HasValue => _has.AsSpan(0, Count);

    internal static SampleColumn For(ColumnSpec spec, int expectedRows) => spec.Kind switch
    {
        ColumnKind.Decimal => new ValueColumn<decimal>(spec, expectedRows),
        ColumnKind.Quantity => new ValueColumn<long>(spec, expectedRows),
        ColumnKind.Timestamp => new ValueColumn<DateTime>(spec, expectedRows),
        _ => new TextColumn(spec, expectedRows),
    };

    /// <summary>Appends a row without a value.</summary>
    internal void AddMissing() => SetMissing(Append(false));

    /// <summary>Makes room for one more row and counts it; returns its index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected int Append(bool hasValue)
    {
        var row = Count;
        if (row == _has.Length)
        {
            Grow(ref _has, row * 2);
            Grow(_has.Length);
        }
        _has[row] = hasValue;
        if (hasValue)
            ValueCount++;
        Count = row + 1;
        return row;
    }

    /// <summary>Gives the column's arrays back to the pool; the column is empty afterwards.</summary>
    internal virtual void Release()
    {
        Return(ref _has);
        Count = 0;
        ValueCount = 0;
    }

    private protected static T[] Rent<T>(int length) => ArrayPool<T>.Shared.Rent(length);

    private protected static void Grow<T>(ref T[] array, int length)
    {
        var larger = ArrayPool<T>.Shared.Rent(length);
        array.AsSpan().CopyTo(larger);
        ArrayPool<T>.Shared.Return(array);
        array = larger;
    }

    private protected static void Return<T>(ref T[] array)
    {
        ArrayPool<T>.Shared.Return(array);
        array = [];
    }

    private protected abstract void Grow(int capacity);

    private protected abstract void SetMissing(int row);
}

/// <summary>A column of numbers (decimal), quantities (long) or timestamps (UTC DateTime); a missing value reads as default.</summary>
public sealed class ValueColumn<T> : SampleColumn
    where T : struct
{
    private T[] _values;

    internal ValueColumn(ColumnSpec spec, int expectedRows)
        : base(spec, expectedRows)
    {
        _values = Rent<T>(Capacity);
    }

    /// <summary>One value per row; see <see cref="SampleColumn.HasValue"/> for which rows hold one.</summary>
    public ReadOnlySpan<T> Values => _values.AsSpan(0, Count);

    internal override void Release()
    {
        base.Release();
        Return(ref _values);
    }

    private protected override void Grow(int capacity) => Grow(ref _values, capacity);

    /// <summary>Appends a row's value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Add(T value) => _values[Append(true)] = value;

    private protected override void SetMissing(int row) => _values[row] = default;
}

/// <summary>A text column: every row's trimmed UTF-8 bytes, end to end (a missing value is empty).</summary>
public sealed class TextColumn : SampleColumn
{
    private byte[] _bytes;
    private int[] _ends;
    private int[]? _first;
    private int _distinct;

    internal TextColumn(ColumnSpec spec, int expectedRows)
        : base(spec, expectedRows)
    {
        _ends = Rent<int>(Capacity);
        _bytes = Rent<byte>(_ends.Length * 16);
    }

    /// <summary>The row's value as UTF-8; empty where it is missing.</summary>
    public ReadOnlySpan<byte> Utf8(int row)
    {
        var start = row == 0 ? 0 : _ends[row - 1];
        return _bytes.AsSpan(start, _ends[row] - start);
    }

    /// <summary>The row's value, or null where it is missing.</summary>
    public string? GetString(int row) => HasValue[row] ? Encoding.UTF8.GetString(Utf8(row)) : null;

    /// <summary>
    /// Per row, the first row holding the same value (the row itself when it is the first); -1 where the value is
    /// missing. Values are compared as UTF-8 bytes, which for valid UTF-8 is comparing them as strings (ordinal).
    /// </summary>
    public ReadOnlySpan<int> FirstOccurrences => (_first ??= Group(out _distinct)).AsSpan(0, Count);

    /// <summary>Distinct values (missing ones not counted).</summary>
    public int DistinctCount
    {
        get
        {
            _first ??= Group(out _distinct);
            return _distinct;
        }
    }

    /// <summary>Every row's value as a string (null where missing); equal values share one string.</summary>
    public string?[] ToStrings()
    {
        var first = FirstOccurrences;
        var strings = new string?[Count];
        for (var row = 0; row < strings.Length; row++)
        {
            var of = first[row];
            if (of >= 0)
                strings[row] = of == row ? Encoding.UTF8.GetString(Utf8(row)) : strings[of];
        }
        return strings;
    }

    /// <summary>An open-addressing table of row numbers keyed by their bytes, filled in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int[] Group(out int distinct)
    {
        distinct = 0;
        var first = Rent<int>(Count);
        var has = HasValue;
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(8, ValueCount * 2));
        var slots = Rent<int>(size);
        Array.Clear(slots, 0, size);
        var mask = size - 1;
        for (var row = 0; row < Count; row++)
        {
            if (!has[row])
            {
                first[row] = -1;
                continue;
            }
            var value = Utf8(row);
            // Rows often come grouped (the items of one order): the previous row settles those without a lookup.
            if (row > 0 && has[row - 1] && value.SequenceEqual(Utf8(row - 1)))
            {
                first[row] = first[row - 1];
                continue;
            }
            var slot = (int)KeyHash.Of(value, 0) & mask;
            while (true)
            {
                var held = slots[slot] - 1;
                if (held < 0)
                {
                    slots[slot] = row + 1;
                    first[row] = row;
                    distinct++;
                    break;
                }
                if (value.SequenceEqual(Utf8(held)))
                {
                    first[row] = held;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        ArrayPool<int>.Shared.Return(slots);
        return first;
    }

    internal override void Release()
    {
        base.Release();
        Return(ref _ends);
        Return(ref _bytes);
        if (_first is not null)
            ArrayPool<int>.Shared.Return(_first);
        _first = null;
        _distinct = 0;
    }

    private protected override void Grow(int capacity) => Grow(ref _ends, capacity);

    /// <summary>Appends a row's value (not empty: an empty value is <see cref="SampleColumn.AddMissing"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Add(ReadOnlySpan<byte> value)
    {
        var row = Append(true);
        var start = row == 0 ? 0 : _ends[row - 1];
        if (start + value.Length > _bytes.Length)
            Grow(ref _bytes, Math.Max(_bytes.Length * 2, start + value.Length));
        value.CopyTo(_bytes.AsSpan(start));
        _ends[row] = start + value.Length;
    }

    private protected override void SetMissing(int row) => _ends[row] = row == 0 ? 0 : _ends[row - 1];
}
