namespace KpiPipeline.Kpis;

/// <summary>
/// A set of identifiers that keeps canonical whole numbers (digits, no leading zero, up to 18 digits) as
/// <see cref="long"/> and everything else as strings. Shop ids are mostly numeric, and a set of longs is a
/// fraction of the memory and cache misses of a set of strings; the mapping is exact, so "7" and "007" stay
/// different values.
/// </summary>
internal sealed class DistinctSet
{
    private readonly HashSet<long> _numbers = [];
    private readonly HashSet<string> _texts = new(StringComparer.Ordinal);

    public int Count => _numbers.Count + _texts.Count;

    public bool Add(string value) => TryNumber(value, out var number) ? _numbers.Add(number) : _texts.Add(value);

    public bool Contains(string value) => TryNumber(value, out var number) ? _numbers.Contains(number) : _texts.Contains(value);

    /// <summary>How many of this set's values are in <paramref name="other"/>.</summary>
    public int CountIn(DistinctSet other)
    {
        var count = 0;
        foreach (var number in _numbers)
            count += other._numbers.Contains(number) ? 1 : 0;
        foreach (var text in _texts)
            count += other._texts.Contains(text) ? 1 : 0;
        return count;
    }

    private static bool TryNumber(string value, out long number) => TryNumber(value.AsSpan(), out number);

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
}
