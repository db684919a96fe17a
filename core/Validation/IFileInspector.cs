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

    /// <summary>The file's profile and expectation results; a <see cref="ExpectationStatus.Rejected"/> result quarantines the file.</summary>
    FileQuality Inspect(FileSample sample);
}

/// <summary>What the streaming pass knows about a file when it is inspected.</summary>
/// <param name="BatchDate">The date of the batch the file belongs to.</param>
/// <param name="Columns">The dataset's canonical columns, in schema order; <see cref="Present"/> says which the file has.</param>
/// <param name="Rows">The first accepted rows, values trimmed, in the order of <see cref="Columns"/> (null where the file lacks the column).</param>
/// <param name="Lines">The line each sampled row starts on.</param>
/// <param name="RowsRead">Data rows of the whole file.</param>
/// <param name="Accepted">Accepted rows of the whole file (the sample holds all of them when it is as long).</param>
public sealed record FileSample(
    string Key,
    Dataset Dataset,
    DateOnly BatchDate,
    IReadOnlyList<ColumnSpec> Columns,
    IReadOnlyList<bool> Present,
    IReadOnlyList<string?[]> Rows,
    IReadOnlyList<long> Lines,
    long RowsRead,
    long Accepted,
    long Rejected,
    long OffDateRows)
{
    /// <summary>The sample holds every accepted row of the file.</summary>
    public bool IsComplete => Rows.Count == Accepted;
}
