using KpiPipeline.Contracts;
using KpiPipeline.Validation;

namespace KpiPipeline.Validator.Profiling;

/// <summary>Per column of the sample: null ratio, distinct values, min/max/mean of numbers, the range of timestamps.</summary>
internal static class ColumnProfiler
{
    public static FileProfile Profile(SampleFrame frame)
    {
        var sample = frame.Sample;
        var columns = new List<ColumnProfile>(sample.Columns.Count);
        for (var c = 0; c < sample.Columns.Count; c++)
        {
            var spec = sample.Columns[c];
            columns.Add(sample.Values[c] switch
            {
                null => new ColumnProfile(spec.Name, spec.Kind, false, frame.Rows, frame.Rows == 0 ? 0 : 1, 0, null, null, null, null, null),
                ValueColumn<decimal> numbers => Numbers(frame, numbers),
                ValueColumn<long> quantities => Quantities(frame, quantities),
                ValueColumn<DateTime> timestamps => Timestamps(frame, timestamps),
                TextColumn text => Basic(frame, text, text.DistinctCount),
                var other => throw new InvalidOperationException($"No profile for {other.GetType()}."),
            });
        }
        return new FileProfile(frame.Rows, sample.IsComplete, columns);
    }

    private static ColumnProfile Basic(SampleFrame frame, SampleColumn column, long distinct)
    {
        var nulls = frame.Rows - column.ValueCount;
        return new ColumnProfile(column.Spec.Name, column.Spec.Kind, true, nulls, frame.Rows == 0 ? 0 : (double)nulls / frame.Rows,
            distinct, null, null, null, null, null);
    }

    private static ColumnProfile Numbers(SampleFrame frame, ValueColumn<decimal> column)
    {
        var values = column.Values;
        var has = column.HasValue;
        // Equal amounts of different scales (1.5, 1.50) are one value; the first of equal extremes is the one reported.
        using var keys = new DistinctCounter(column.ValueCount);
        var allMicros = true;
        decimal sum = 0, min = 0, max = 0;
        var first = true;
        for (var row = 0; row < values.Length; row++)
        {
            if (!has[row])
                continue;
            var value = values[row];
            if (Micros(value) is { } micros)
                keys.Add(micros);
            else
                allMicros = false;
            sum += value;
            if (first)
            {
                (min, max, first) = (value, value, false);
            }
            else if (value < min)
            {
                min = value;
            }
            else if (value > max)
            {
                max = value;
            }
        }
        // A value that is no whole number of millionths (none of an accepted row is): counted as decimals instead.
        var distinct = allMicros ? keys.Count : Distinct(values, has);
        return WithNumbers(Basic(frame, column, distinct), column.ValueCount, sum, min, max);
    }

    private static int Distinct(ReadOnlySpan<decimal> values, ReadOnlySpan<bool> has)
    {
        var set = new HashSet<decimal>();
        for (var row = 0; row < values.Length; row++)
        {
            if (has[row])
                set.Add(values[row]);
        }
        return set.Count;
    }

    /// <summary>
    /// The amount in millionths when that is a whole number that fits in a long, as every accepted amount is (at
    /// most 12 integer digits and 6 decimal places): equal amounts, whatever their scale, get the same key.
    /// </summary>
    internal static long? Micros(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        if (bits[2] != 0)
            return null;
        var mantissa = (uint)bits[0] | ((ulong)(uint)bits[1] << 32);
        var scale = (bits[3] >> 16) & 0xFF;
        ulong micros;
        if (scale <= 6)
        {
            var factor = PowersOfTen[6 - scale];
            if (mantissa > (ulong)long.MaxValue / factor)
                return null;
            micros = mantissa * factor;
        }
        else
        {
            if (scale - 6 >= PowersOfTen.Length)
                return null;
            var divisor = PowersOfTen[scale - 6];
            if (mantissa % divisor != 0)
                return null;
            micros = mantissa / divisor;
        }
        if (micros > long.MaxValue)
            return null;
        return bits[3] < 0 ? -(long)micros : (long)micros;
    }

    private static readonly ulong[] PowersOfTen =
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];

    private static ColumnProfile Quantities(SampleFrame frame, ValueColumn<long> column)
    {
        var values = column.Values;
        var has = column.HasValue;
        using var distinct = new DistinctCounter(column.ValueCount);
        decimal sum = 0;
        long min = 0, max = 0;
        var first = true;
        for (var row = 0; row < values.Length; row++)
        {
            if (!has[row])
                continue;
            var value = values[row];
            distinct.Add(value);
            sum += value;
            if (first)
            {
                (min, max, first) = (value, value, false);
            }
            else
            {
                min = Math.Min(min, value);
                max = Math.Max(max, value);
            }
        }
        return WithNumbers(Basic(frame, column, distinct.Count), column.ValueCount, sum, min, max);
    }

    private static ColumnProfile WithNumbers(ColumnProfile profile, int count, decimal sum, decimal min, decimal max) =>
        count == 0 ? profile
        // The mean in decimal (Deedle's statistics go through double): sums of prices stay exact.
        : profile with { Min = min, Max = max, Mean = decimal.Round(sum / count, 4, MidpointRounding.AwayFromZero) };

    private static ColumnProfile Timestamps(SampleFrame frame, ValueColumn<DateTime> column)
    {
        var values = column.Values;
        var has = column.HasValue;
        using var distinct = new DistinctCounter(column.ValueCount);
        DateTime earliest = default, latest = default;
        var first = true;
        for (var row = 0; row < values.Length; row++)
        {
            if (!has[row])
                continue;
            var value = values[row];
            distinct.Add(value.Ticks);
            if (first)
            {
                (earliest, latest, first) = (value, value, false);
            }
            else if (value < earliest)
            {
                earliest = value;
            }
            else if (value > latest)
            {
                latest = value;
            }
        }
        var profile = Basic(frame, column, distinct.Count);
        return column.ValueCount == 0 ? profile : profile with { Earliest = earliest, Latest = latest };
    }
}
