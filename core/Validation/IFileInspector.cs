using KpiPipeline.Contracts;

namespace KpiPipeline.Validation;

/// <summary>
/// Frame-level checks of one file, run after its streaming row checks and before it is moved on: they see a
/// bounded sample of the file's accepted rows and its streaming counters, never every row. Implemented
/// outside this library (the validator's profiling), so the domain carries no data-frame dependency.
/// </summary>
public interface IFileInspector
{
    /// <summary>How many accepted rows of a file of <paramref name="dataset"/> to keep for <see cref="Inspect"/>; 0 skips the file.</summary>
    int SampleRows(Dataset dataset);

    /// <summary>
    /// The file's profile and expectation results; a <see cref="ExpectationStatus.Rejected"/> result quarantines the file.
    /// The sample's arrays are reused once this returns: keep results, not the sample.
    /// </summary>
    FileQuality Inspect(FileSample sample);
}

/// <summary>What the streaming pass knows about a file when it is inspected.</summary>
/// <param name="BatchDate">The date of the batch the file belongs to.</param>
/// <param name="Columns">The dataset's canonical columns, in schema order.</param>
/// <param name="Values">The first accepted rows, column by column in the order of <see cref="Columns"/>; null where the file lacks the column.</param>
/// <param name="Lines">The line each sampled row starts on, in increasing order.</param>
/// <param name="RowsRead">Data rows of the whole file.</param>
/// <param name="Accepted">Accepted rows of the whole file (the sample holds all of them when it is as long).</param>
public sealed record FileSample(
    string Key,
    Dataset Dataset,
    DateOnly BatchDate,
    IReadOnlyList<ColumnSpec> Columns,
    IReadOnlyList<SampleColumn?> Values,
    ReadOnlyMemory<long> Lines,
    long RowsRead,
    long Accepted,
    long Rejected,
    long OffDateRows)
{
    /// <summary>Sampled rows.</summary>
    public int Rows => Lines.Length;

    /// <summary>The sample holds every accepted row of the file.</summary>
    public bool IsComplete => Rows == Accepted;

    /// <summary>The named column, or null when the file lacks it.</summary>
    public SampleColumn? Column(string name)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (Columns[i].Name == name)
                return Values[i];
        }
        return null;
    }
}
