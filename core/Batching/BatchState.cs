using System.Diagnostics.CodeAnalysis;

namespace KpiPipeline.Batching;

/// <summary>Batch statuses as stored in the tracker's <c>status</c> attribute: where the batch's files and claims stand.</summary>
public static class BatchStatus
{
    public const string Receiving = "RECEIVING";
    public const string WaitingForFiles = "WAITING_FOR_FILES";
    public const string WaitingForProducts = "WAITING_FOR_PRODUCTS";
    public const string Claimed = "CLAIMED";
    public const string Started = "STARTED";
    public const string Stale = "STALE";
}

/// <summary>
/// How far the run of a claimed version has come, in order. Recorded by the run itself (the local
/// <c>run</c>), so a run that stopped can go on from the step after the last one recorded.
/// </summary>
public enum BatchStep
{
    /// <summary>The version is claimed, its manifest written, its run begun; nothing of it is done yet.</summary>
    Claimed,

    /// <summary>The validator accepted the batch: its files are in <c>validated/</c> or <c>invalid/</c>.</summary>
    Validated,

    /// <summary>The curated order lines are written and the dates to recompute are in the transformation report.</summary>
    Transformed,

    /// <summary>The KPIs of those dates are stored.</summary>
    Stored,

    /// <summary>The files are in <c>processed/</c>: the run is finished.</summary>
    Archived,

    /// <summary>The run ended on a data problem a retry cannot fix (the reason says which); finished too.</summary>
    Failed,
}

public static class BatchSteps
{
    /// <summary>Stored and printed in lower case: <c>claimed</c>, <c>validated</c>, …</summary>
    public static string Name(this BatchStep step) => step.ToString().ToLowerInvariant();

    public static bool TryParse(string? text, [NotNullWhen(true)] out BatchStep? step)
    {
        foreach (var candidate in Enum.GetValues<BatchStep>())
        {
            if (string.Equals(candidate.Name(), text, StringComparison.Ordinal))
            {
                step = candidate;
                return true;
            }
        }
        step = null;
        return false;
    }

    public static bool IsFinal(this BatchStep step) => step is BatchStep.Archived or BatchStep.Failed;
}

/// <summary>
/// One batch as the tracker holds it (see lambda/README.md for the schema). Revision counts distinct arrivals;
/// version counts claims; a batch has unclaimed work while <see cref="ClaimedRevision"/> &lt; <see cref="Revision"/>
/// and an unstarted claim while <see cref="StartedVersion"/> &lt; <see cref="Version"/>.
/// </summary>
public sealed record BatchState(
    string BatchId,
    string? Bucket,
    IReadOnlySet<string> OrdersKeys,
    IReadOnlySet<string> OrderItemsKeys,
    IReadOnlySet<string>? ExpectedOrdersKeys,
    IReadOnlySet<string>? ExpectedOrderItemsKeys,
    string? ExpectedHash,
    long Revision,
    long ClaimedRevision,
    int Version,
    int StartedVersion,
    DateTimeOffset? ClaimedAt,
    IReadOnlySet<string> ClaimedOrdersKeys,
    IReadOnlySet<string> ClaimedOrderItemsKeys,
    string? ProductsKey,
    string? Status,
    string? StatusReason,
    DateTimeOffset? LastArrival)
{
    /// <summary>The revisions that came from files (or a re-run request) rather than from the expected-files list.</summary>
    public long FilesRevision { get; init; }

    /// <summary><see cref="FilesRevision"/> as it was at the latest claim.</summary>
    public long ClaimedFilesRevision { get; init; }

    /// <summary>The version whose run <see cref="Step"/> describes.</summary>
    public int StepVersion { get; init; }

    public BatchStep? Step { get; init; }

    /// <summary>Why the run failed (with <see cref="BatchStep.Failed"/>).</summary>
    public string? StepReason { get; init; }

    public DateTimeOffset? StepAt { get; init; }

    public DateTimeOffset? LastUpdated { get; init; }

    public bool HasExpectedFiles => ExpectedHash is not null;

    public bool HasUnclaimedWork => ClaimedRevision < Revision;

    public bool HasUnstartedClaim => StartedVersion < Version;

    /// <summary>The step of the latest version's run, when that run recorded any.</summary>
    public BatchStep? RunStep => Version > 0 && StepVersion == Version ? Step : null;

    /// <summary>The latest version's run began and has not finished: it stopped (or is still going) after <see cref="RunStep"/>.</summary>
    public bool HasUnfinishedRun => RunStep is { } step && !step.IsFinal();

    public static IReadOnlySet<string> NoKeys { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>A batch no arrival has touched yet (what a tracker holds before the first file).</summary>
    public static BatchState Empty(string batchId) => new(batchId, null, NoKeys, NoKeys, null, null, null, 0, 0, 0, 0, null, NoKeys, NoKeys, null, null, null, null);
}
