namespace KpiPipeline.Validation;

/// <summary>Thresholds of the validator. Every default is the production setting.</summary>
public sealed record ValidationOptions
{
    /// <summary>Files larger than this are quarantined unread (<c>file_too_large</c>). Default 2 GiB.</summary>
    public long MaxFileBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>
    /// A file whose rejected rows exceed this fraction of its data rows is quarantined whole
    /// (<c>rejected_fraction_exceeded</c>). Identical duplicates count too: a file of one row repeated is not data. Default 0.05.
    /// </summary>
    public double MaxRejectedFraction { get; init; } = 0.05;

    /// <summary>A row longer than this is rejected unsplit (<c>record_too_long</c>). Default 1 MiB.</summary>
    public int MaxRecordBytes { get; init; } = 1 << 20;

    /// <summary>Timestamps before this are implausible (<c>timestamp_too_early</c>). Default 2000-01-01T00:00:00Z.</summary>
    public DateTime EarliestTimestamp { get; init; } = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Timestamps later than the validation time plus this are rejected (<c>timestamp_in_future</c>). Default one day.</summary>
    public TimeSpan FutureTolerance { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Rejected rows quoted per file in the report (the rejects file holds them all). Default 3.</summary>
    public int ExamplesPerFile { get; init; } = 3;

    /// <summary>
    /// Rows a file's rejects file holds at most; rejected rows beyond are counted in the report
    /// (<c>rejected_beyond_cap</c>) but not written. Default 100,000.
    /// </summary>
    public long MaxRejectsRows { get; init; } = 100_000;

    /// <summary>Bytes a file's rejects file holds at most (header included); rows beyond are counted, not written. Default 64 MiB.</summary>
    public long MaxRejectsBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Throws when a value is out of its range; called by the validator before it starts.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileBytes, nameof(MaxFileBytes));
        if (double.IsNaN(MaxRejectedFraction) || MaxRejectedFraction is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(MaxRejectedFraction), MaxRejectedFraction, "Must be between 0 and 1.");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRecordBytes, 1024, nameof(MaxRecordBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(FutureTolerance, TimeSpan.Zero, nameof(FutureTolerance));
        ArgumentOutOfRangeException.ThrowIfNegative(ExamplesPerFile, nameof(ExamplesPerFile));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRejectsRows, nameof(MaxRejectsRows));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRejectsBytes, 1024, nameof(MaxRejectsBytes));
    }
}
