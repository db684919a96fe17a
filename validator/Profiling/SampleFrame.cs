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

    /// <summary>The column's (line, value) pairs without missing values, for the checks that go through every row.</summary>
    public IEnumerable<KeyValuePair<long, T>> Observations<T>(string column) => Frame.GetColumn<T>(column).Observations;

    public static SampleFrame Build(FileSample sample)
    {
        // Every column over the same row keys, missing values as empty Nullable or null: the frame is built
        // without re-aligning column after column (adding columns one by one costs a join each).
        var frame = new FrameBuilder.Columns<long, string>();
        var index = new Series<long, long>(sample.Lines, sample.Lines);
        for (var c = 0; c < sample.Columns.Count; c++)
        {
            if (!sample.Present[c])
                continue;
            var spec = sample.Columns[c];
            ISeries<long> series = spec.Kind switch
            {
                ColumnKind.Decimal => Typed<decimal>(index, sample, c, text => Decimal(text)),
                ColumnKind.Quantity => Typed<long>(index, sample, c, text => Quantity(text)),
                ColumnKind.Timestamp => Typed<DateTime>(index, sample, c, text => Timestamp(text)),
                _ => Typed(index, sample, c, text => text),
            };
            frame.Add(spec.Name, series);
        }
        return new SampleFrame(sample, frame.Frame);
    }

    /// <summary>A column over the shared row index, so the frame is assembled without aligning columns to each other.</summary>
    private static Series<long, T> Typed<T>(Series<long, long> index, FileSample sample, int column, Func<string, T> parse)
    {
        var values = new OptionalValue<T>[sample.Rows.Count];
        for (var r = 0; r < values.Length; r++)
        {
            var text = sample.Rows[r][column];
            values[r] = string.IsNullOrEmpty(text) ? OptionalValue<T>.Missing : new OptionalValue<T>(parse(text));
        }
        var vectors = Deedle.Vectors.ArrayVector.ArrayVectorBuilder.Instance;
        return new Series<long, T>(index.Index, vectors.CreateMissing(values), vectors, Deedle.Indices.Linear.LinearIndexBuilder.Instance);
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
