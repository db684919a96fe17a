namespace KpiPipeline.Dashboard;

/// <summary>Where a batch version stands, as the operational view shows it.</summary>
public enum BatchRunState
{
    /// <summary>Its manifest is written; no validation report yet (queued or running).</summary>
    Waiting,

    /// <summary>Validated, KPI job not finished (or not started).</summary>
    Validated,

    /// <summary>The validator rejected the batch (a data problem).</summary>
    Rejected,

    /// <summary>The KPI job stored its KPIs.</summary>
    Succeeded,
}

/// <summary>One batch version and its timings.</summary>
/// <param name="ValidationReportKey">Null until the validator wrote its report.</param>
/// <param name="TransformMilliseconds">How long the KPI job ran, once it finished.</param>
public sealed record BatchStatus(
    string BatchId,
    int Version,
    BatchRunState State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ValidatedAt,
    long? TransformMilliseconds,
    string ManifestKey,
    string? ValidationReportKey,
    string? RejectionReason);

/// <summary>
/// Where the batch view reads batch state: the lake's manifests and reports today; a batch tracker table
/// (<c>kpi-job batches</c>) can be plugged in behind the same interface.
/// </summary>
public interface IBatchStatusSource
{
    /// <summary>Every batch version known, newest batch date and version first.</summary>
    Task<IReadOnlyList<BatchStatus>> ListAsync(CancellationToken cancellationToken);
}
