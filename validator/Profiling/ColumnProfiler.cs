using Deedle;
using KpiPipeline.Contracts;
using KpiPipeline.Validation;

namespace KpiPipeline.Validator.Profiling;

/// <summary>Per column of the sample: null ratio, distinct values, min/max/mean of numbers, the range of timestamps.</summary>
internal static class ColumnProfiler
{
    public static FileProfile Profile(SampleFrame frame)
    {
        var columns = new List<ColumnProfile>();
        foreach (var spec in frame.Sample.Columns)
        {
            if (!frame.Has(spec.Name))
            {
                columns.Add(new ColumnProfile(spec.Name, spec.Kind, false, frame.Rows, frame.Rows == 0 ? 0 : 1, 0, null, null, null, null, null));
                continue;
            }
            columns.Add(spec.Kind switch
            {
                ColumnKind.Decimal => Numbers(frame, spec, Values<decimal>(frame, spec)),
                ColumnKind.Quantity => Numbers(frame, spec, [.. Values<long>(frame, spec).Select(q => (decimal)q)]),
                ColumnKind.Timestamp => Timestamps(frame, spec, Values<DateTime>(frame, spec)),
                _ => Basic(frame, spec, Values<string>(frame, spec)),
            });
        }
        return new FileProfile(frame.Rows, frame.Sample.IsComplete, columns);
    }

    private static List<T> Values<T>(SampleFrame frame, ColumnSpec spec) => [.. frame.Observations<T>(spec.Name).Select(kv => kv.Value)];

    private static ColumnProfile Basic<T>(SampleFrame frame, ColumnSpec spec, IReadOnlyCollection<T> values)
    {
        var nulls = frame.Rows - values.Count;
        return new ColumnProfile(spec.Name, spec.Kind, true, nulls, frame.Rows == 0 ? 0 : (double)nulls / frame.Rows,
            values.Distinct().Count(), null, null, null, null, null);
    }

    private static ColumnProfile Numbers(SampleFrame frame, ColumnSpec spec, IReadOnlyCollection<decimal> values)
    {
        var profile = Basic(frame, spec, values);
        if (values.Count == 0)
            return profile;
        // The mean in decimal (Deedle's statistics go through double): sums of prices stay exact.
        var mean = values.Sum() / values.Count;
        return profile with { Min = values.Min(), Max = values.Max(), Mean = decimal.Round(mean, 4, MidpointRounding.AwayFromZero) };
    }

    private static ColumnProfile Timestamps(SampleFrame frame, ColumnSpec spec, IReadOnlyCollection<DateTime> values)
    {
        var profile = Basic(frame, spec, values);
        return values.Count == 0 ? profile : profile with { Earliest = values.Min(), Latest = values.Max() };
    }
}
