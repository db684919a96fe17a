using KpiPipeline.Contracts;

namespace KpiPipeline.Validation;

/// <summary>What the frame-level checks found in a file: its column profile and the expectations on it.</summary>
public sealed record FileQuality(FileProfile Profile, IReadOnlyList<ExpectationResult> Expectations)
{
    /// <summary>The first expectation beyond its hard bound, which quarantines the file.</summary>
    public ExpectationResult? Rejection => Expectations.FirstOrDefault(e => e.Status == ExpectationStatus.Rejected);
}

/// <summary>Column statistics of a bounded sample of a file's accepted rows.</summary>
/// <param name="SampleRows">Rows profiled: the first accepted rows of the file, at most the configured sample size.</param>
/// <param name="Complete">The sample is the whole file's accepted rows.</param>
public sealed record FileProfile(long SampleRows, bool Complete, IReadOnlyList<ColumnProfile> Columns);

/// <summary>One column of a <see cref="FileProfile"/>. Numbers have min/max/mean, timestamps their range (UTC).</summary>
/// <param name="Present">The file has the column; an absent column counts every row as null.</param>
/// <param name="NullRatio">Empty values ÷ sampled rows.</param>
/// <param name="Distinct">Distinct non-empty values in the sample.</param>
public sealed record ColumnProfile(
    string Column,
    ColumnKind Kind,
    bool Present,
    long Nulls,
    double NullRatio,
    long Distinct,
    decimal? Min,
    decimal? Max,
    decimal? Mean,
    DateTime? Earliest,
    DateTime? Latest);

public enum ExpectationStatus
{
    /// <summary>Within the warning bounds.</summary>
    Met,

    /// <summary>Outside the warning bounds, within the hard bounds: reported, the file goes on.</summary>
    Warning,

    /// <summary>Beyond a hard bound: the file is quarantined (<c>expectation_not_met</c>).</summary>
    Rejected,
}

/// <summary>One expectation checked on a file.</summary>
/// <param name="Id">Stable id, as configured (<c>orders.returned_share</c>).</param>
/// <param name="Observed">The measured value; null when the sample had nothing to measure.</param>
/// <param name="Bounds">The warning and hard bounds, as text.</param>
/// <param name="Detail">Where to look: the rows or groups that made the value (ids and line numbers).</param>
public sealed record ExpectationResult(string Id, string Description, ExpectationStatus Status, double? Observed, string Bounds, string? Detail);
