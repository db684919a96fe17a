using System.Text;
using Deedle;
using KpiPipeline.Contracts;
using KpiPipeline.Validation;

namespace KpiPipeline.Validator.Profiling;

/// <summary>
/// A file's sample as a Deedle frame, indexed by line number, with one typed column per canonical column the
/// file has: text as strings, prices as decimal, quantities as long, timestamps as UTC DateTime. The types come
/// from the dataset's schema and the values are parsed by the same parser the streaming checks used, never
/// inferred (Deedle infers from the first rows and reads "-", "NA" or "NaN" as missing). Empty values are missing.
/// </summary>
internal sealed class SampleFrame
{
    private SampleFrame(FileSample sample, Frame<long, string> frame)
    {
        Sample = sample;
        Frame = frame;
    }

    public FileSample Sample { get; }

    public Frame<long, string> Frame { get; }

    public int Rows => Sample.Rows.Count;

    public bool Has(string column) => Frame.ColumnKeys.Contains(column);

    /// <summary>The column's values; missing ones dropped (a frame column keeps a key for every row).</summary>
    public Series<long, T> Column<T>(string column) => Frame.GetColumn<T>(column).DropMissing();

    public static SampleFrame Build(FileSample sample)
    {
        var frame = Deedle.Frame.FromRowKeys(sample.Lines);
        for (var c = 0; c < sample.Columns.Count; c++)
        {
            if (!sample.Present[c])
                continue;
            var spec = sample.Columns[c];
            ISeries<long> series = spec.Kind switch
            {
                ColumnKind.Decimal => Typed(sample, c, Decimal),
                ColumnKind.Quantity => Typed(sample, c, Quantity),
                ColumnKind.Timestamp => Typed(sample, c, Timestamp),
                _ => Typed(sample, c, text => text),
            };
            frame.AddColumn(spec.Name, series);
        }
        return new SampleFrame(sample, frame);
    }

    private static Series<long, T> Typed<T>(FileSample sample, int column, Func<string, T> parse)
    {
        var keys = new List<long>(sample.Rows.Count);
        var values = new List<T>(sample.Rows.Count);
        for (var r = 0; r < sample.Rows.Count; r++)
        {
            var text = sample.Rows[r][column];
            if (string.IsNullOrEmpty(text))
                continue;
            keys.Add(sample.Lines[r]);
            values.Add(parse(text));
        }
        return new Series<long, T>(keys, values);
    }

    // The sample holds accepted rows only: a value that does not parse here is a bug, not data.
    private static decimal Decimal(string text) =>
        Values.TryParseDecimal(Encoding.UTF8.GetBytes(text), out var value) ? value : throw Unparsable(text, "decimal");

    private static long Quantity(string text) =>
        Values.TryParseInteger(Encoding.UTF8.GetBytes(text), out var value) ? value : throw Unparsable(text, "quantity");

    private static DateTime Timestamp(string text) =>
        Values.TryParseTimestamp(Encoding.UTF8.GetBytes(text), out var value) ? value : throw Unparsable(text, "timestamp");

    private static InvalidOperationException Unparsable(string text, string kind) =>
        new($"An accepted row holds '{text}', which is not a valid {kind}: the sample and the row checks disagree.");
}
