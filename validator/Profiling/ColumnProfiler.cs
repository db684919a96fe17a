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
                ColumnKind.Decimal => Numbers(frame, spec, frame.Column<decimal>(spec.Name)),
                ColumnKind.Quantity => Numbers(frame, spec, frame.Column<long>(spec.Name).Select(kv => (decimal)kv.Value)),
                ColumnKind.Timestamp => Timestamps(frame, spec, frame.Column<DateTime>(spec.Name)),
                _ => Basic(frame, spec, frame.Column<string>(spec.Name)),
            });
        }
        return new FileProfile(frame.Rows, frame.Sample.IsComplete, columns);
    }

    private static ColumnProfile Basic<T>(SampleFrame frame, ColumnSpec spec, Series<long, T> values)
    {
        var nulls = frame.Rows - values.ValueCount;
        return new ColumnProfile(spec.Name, spec.Kind, true, nulls, frame.Rows == 0 ? 0 : (double)nulls / frame.Rows,
            Stats.uniqueCount(values), null, null, null, null, null);
    }

    private static ColumnProfile Numbers(SampleFrame frame, ColumnSpec spec, Series<long, decimal> values)
    {
        var profile = Basic(frame, spec, values);
        if (values.ValueCount == 0)
            return profile;
        // The mean in decimal (Deedle's statistics go through double): sums of prices stay exact.
        var mean = values.Values.Sum() / values.ValueCount;
        return profile with { Min = values.TryMin().Value, Max = values.TryMax().Value, Mean = decimal.Round(mean, 4, MidpointRounding.AwayFromZero) };
    }

    private static ColumnProfile Timestamps(SampleFrame frame, ColumnSpec spec, Series<long, DateTime> values)
    {
        var profile = Basic(frame, spec, values);
        return values.ValueCount == 0 ? profile : profile with { Earliest = values.TryMin().Value, Latest = values.TryMax().Value };
    }
}
