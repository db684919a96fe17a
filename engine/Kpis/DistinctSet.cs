using System.Text;

namespace KpiPipeline.Kpis;

/// <summary>
/// An identifier as the aggregator keeps it: a canonical whole number (digits, no leading zero, up to 18 digits)
/// as a <see cref="long"/>, anything else as its text. The mapping is exact, so "7" and "007" stay different.
/// </summary>
internal readonly record struct IdKey(long Number, string? Text)
{
    public static IdKey From(string value) => DistinctSet.TryNumber(value.AsSpan(), out var number) ? new(number, null) : new(0, value);

    /// <summary>From UTF-8 bytes: no string unless the id is not a canonical number.</summary>
    public static IdKey From(ReadOnlySpan<byte> utf8) => DistinctSet.TryNumber(utf8, out var number) ? new(number, null) : new(0, Encoding.UTF8.GetString(utf8));
}

/// <summary>
/// A set of identifiers that keeps canonical whole numbers in a <see cref="LongSet"/> and everything else as
/// strings. Shop ids are mostly numeric, and a set of longs is a fraction of the memory and cache misses of a set
/// of strings.
/// </summary>
internal sealed class DistinctSet : IDisposable
{
    private readonly LongSet _numbers = new();
    private readonly HashSet<string> _texts = new(StringComparer.Ordinal);

    public int Count => _numbers.Count + _texts.Count;

    public bool Add(string value) => Add(IdKey.From(value));

    public bool Add(IdKey value) => value.Text is null ? _numbers.Add(value.Number) : _texts.Add(value.Text);

    /// <summary>Adds a value without telling whether it was new (cheaper for numbers).</summary>
    public void Include(IdKey value)
    {
        if (value.Text is null)
            _numbers.Include(value.Number);
        else
            _texts.Add(value.Text);
    }

    public bool Contains(string value) => Contains(IdKey.From(value));

    public bool Contains(IdKey value) => value.Text is null ? _numbers.Contains(value.Number) : _texts.Contains(value.Text);

    /// <summary>Adds every value of <paramref name="other"/>.</summary>
    public void UnionWith(DistinctSet other)
    {
        _numbers.UnionWith(other._numbers);
        _texts.UnionWith(other._texts);
    }

    /// <summary>Whether any value of <paramref name="other"/> is here.</summary>
    public bool Overlaps(DistinctSet other) => _numbers.Overlaps(other._numbers) || _texts.Overlaps(other._texts);

    public void Dispose() => _numbers.Dispose();

    /// <summary>How many of this set's values are in <paramref name="other"/>.</summary>
    public int CountIn(DistinctSet other)
    {
        var count = _numbers.CountIn(other._numbers);
        foreach (var text in _texts)
            count += other._texts.Contains(text) ? 1 : 0;
        return count;
    }

    internal static bool TryNumber(ReadOnlySpan<char> value, out long number)
    {
        number = 0;
        if (value.IsEmpty || value.Length > 18 || (value[0] == '0' && value.Length > 1))
            return false;
        foreach (var c in value)
        {
            if (c is < '0' or > '9')
                return false;
            number = (number * 10) + (c - '0');
        }
        return true;
    }

    internal static bool TryNumber(ReadOnlySpan<byte> value, out long number)
    {
        number = 0;
        if (value.IsEmpty || value.Length > 18 || (value[0] == '0' && value.Length > 1))
            return false;
        foreach (var c in value)
        {
            if (c is < (byte)'0' or > (byte)'9')
                return false;
            number = (number * 10) + (c - '0');
        }
        return true;
    }
}
