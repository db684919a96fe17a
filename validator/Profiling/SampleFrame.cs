using Deedle;
using Deedle.Indices;
using Deedle.Indices.Linear;
using Deedle.Vectors;
using Deedle.Vectors.ArrayVector;
using KpiPipeline.Contracts;
using KpiPipeline.Validation;
using Microsoft.FSharp.Core;

namespace KpiPipeline.Validator.Profiling;

/// <summary>
/// A file's sample as a Deedle frame, indexed by line number, with one typed column per canonical column the
/// file has: text as strings, prices as decimal, quantities as long, timestamps as UTC DateTime. The types come
/// from the dataset's schema and the values are those the streaming checks parsed, never inferred (Deedle
/// infers from the first rows and reads "-", "NA" or "NaN" as missing). Empty values are missing.
/// Checks that go through every row read the sample's typed columns (<see cref="Values{T}"/>, <see cref="Text"/>)
/// in plain loops; the frame serves the checks that use Deedle's series and statistics.
/// </summary>
internal sealed class SampleFrame
{
    private readonly Lazy<Frame<long, string>> _frame;

    private SampleFrame(FileSample sample)
    {
        Sample = sample;
        _frame = new(() => BuildFrame(sample));
    }

    public FileSample Sample { get; }

    /// <summary>
    /// The sample as a Deedle frame, built the first time a check asks for it: the checks of orders and order items
    /// all read the typed columns, and building text columns means a string per value.
    /// </summary>
    public Frame<long, string> Frame => _frame.Value;

    public int Rows => Sample.Rows;

    /// <summary>The line each sampled row starts on (the frame's row keys).</summary>
    public ReadOnlySpan<long> Lines => Sample.Lines.Span;

    public bool Has(string column) => Sample.Column(column) is not null;

    /// <summary>The column's values; missing ones dropped (a frame column keeps a key for every row).</summary>
    public Series<long, T> Column<T>(string column) => Frame.GetColumn<T>(column).DropMissing();

    /// <summary>The column's (line, value) pairs without missing values.</summary>
    public IEnumerable<KeyValuePair<long, T>> Observations<T>(string column) => Frame.GetColumn<T>(column).Observations;

    /// <summary>A number, quantity or timestamp column of the sample, row by row; null when the file lacks it.</summary>
    public ValueColumn<T>? Values<T>(string column)
        where T : struct => Sample.Column(column) is { } found ? (ValueColumn<T>)found : null;

    /// <summary>A text column of the sample, row by row as UTF-8; null when the file lacks it.</summary>
    public TextColumn? Text(string column) => Sample.Column(column) is { } found ? (TextColumn)found : null;

    public static SampleFrame Of(FileSample sample) => new(sample);

    private static Frame<long, string> BuildFrame(FileSample sample)
    {
        // Every column shares one row index and the frame is assembled from them as they are: no column is
        // re-aligned to another, nothing is parsed again.
        var rowIndex = LinearIndexBuilder.Instance.Create(Array.AsReadOnly(sample.Lines.ToArray()), FSharpOption<bool>.Some(true));
        var names = new List<string>();
        var vectors = new List<IVector>();
        foreach (var column in sample.Values)
        {
            if (column is null)
                continue;
            names.Add(column.Spec.Name);
            vectors.Add(column switch
            {
                ValueColumn<decimal> numbers => Vector(numbers),
                ValueColumn<long> quantities => Vector(quantities),
                ValueColumn<DateTime> timestamps => Vector(timestamps),
                TextColumn text => Vector(text),
                _ => throw new InvalidOperationException($"No frame column for {column.GetType()}."),
            });
        }
        var columnIndex = LinearIndexBuilder.Instance.Create(names.AsReadOnly(), FSharpOption<bool>.None);
        return new Frame<long, string>(rowIndex, columnIndex, ArrayVectorBuilder.Instance.Create(vectors.ToArray()),
            LinearIndexBuilder.Instance, ArrayVectorBuilder.Instance);
    }

    private static IVector<T> Vector<T>(ValueColumn<T> column)
        where T : struct
    {
        var values = column.Values;
        if (column.ValueCount == column.Count)
            return ArrayVectorBuilder.Instance.Create(values.ToArray());
        var has = column.HasValue;
        var optional = new OptionalValue<T>[values.Length];
        for (var row = 0; row < optional.Length; row++)
            optional[row] = has[row] ? new OptionalValue<T>(values[row]) : OptionalValue<T>.Missing;
        return ArrayVectorBuilder.Instance.CreateMissing(optional);
    }

    private static IVector<string> Vector(TextColumn column)
    {
        var strings = column.ToStrings();
        if (column.ValueCount == column.Count)
            return ArrayVectorBuilder.Instance.Create<string>(strings!);
        var optional = new OptionalValue<string>[strings.Length];
        for (var row = 0; row < optional.Length; row++)
            optional[row] = strings[row] is { } value ? new OptionalValue<string>(value) : OptionalValue<string>.Missing;
        return ArrayVectorBuilder.Instance.CreateMissing(optional);
    }
}
