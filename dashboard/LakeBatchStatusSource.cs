using System.Text.Json;
using KpiPipeline.Lake;

namespace KpiPipeline.Dashboard;

/// <summary>
/// Batch state read from the lake alone: each manifest (<c>batches/&lt;date&gt;/vNNNN.json</c>) is a batch version,
/// its validation report (<c>logs/validation/…</c>) says whether it was validated or rejected and when, and its
/// transformation report (<c>logs/transformation/…</c>) that the KPI job finished and how long it took. Only reads.
/// </summary>
public sealed class LakeBatchStatusSource(IObjectStore store) : IBatchStatusSource
{
    private const string BatchesPrefix = "batches/";

    public async Task<IReadOnlyList<BatchStatus>> ListAsync(CancellationToken cancellationToken)
    {
        var versions = new List<(DateOnly Date, int Version, string Key)>();
        await foreach (var item in store.ListAsync(BatchesPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (LakeLayout.TryParseManifestKey(item.Key, out var date, out var version))
                versions.Add((date, version, item.Key));
        }
        var statuses = new List<BatchStatus>(versions.Count);
        foreach (var (date, version, key) in versions.OrderByDescending(v => v.Date).ThenByDescending(v => v.Version))
            statuses.Add(await ReadStatusAsync(date, version, key, cancellationToken).ConfigureAwait(false));
        return statuses;
    }

    private async Task<BatchStatus> ReadStatusAsync(DateOnly date, int version, string manifestKey, CancellationToken cancellationToken)
    {
        var manifest = await BatchManifest.ReadAsync(store, manifestKey, cancellationToken).ConfigureAwait(false);
        var reportKey = LakeLayout.ValidationReportKey(date, version);
        var status = new BatchStatus(manifest.BatchId, version, BatchRunState.Waiting, manifest.CreatedAt, null, null, manifestKey, null, null);
        using var report = await ReadJsonAsync(reportKey, cancellationToken).ConfigureAwait(false);
        if (report is null)
            return status;
        var root = report.RootElement;
        var rejected = root.TryGetProperty("outcome", out var outcome) && outcome.GetString() == "rejected";
        status = status with
        {
            State = rejected ? BatchRunState.Rejected : BatchRunState.Validated,
            ValidatedAt = root.TryGetProperty("validated_at", out var at) && at.ValueKind == JsonValueKind.String ? at.GetDateTimeOffset() : null,
            ValidationReportKey = reportKey,
            RejectionReason = root.TryGetProperty("rejection_reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null,
        };
        if (rejected)
            return status;
        using var transformation = await ReadJsonAsync(LakeLayout.TransformationReportKey(date, version), cancellationToken).ConfigureAwait(false);
        if (transformation is null)
            return status;
        return status with
        {
            State = BatchRunState.Succeeded,
            TransformMilliseconds = transformation.RootElement.TryGetProperty("elapsed_ms", out var elapsed) && elapsed.ValueKind == JsonValueKind.Number ? elapsed.GetInt64() : null,
        };
    }

    private async Task<JsonDocument?> ReadJsonAsync(string key, CancellationToken cancellationToken)
    {
        Stream stream;
        try
        {
            stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{store.Describe(key)} is not a JSON report: {e.Message}", e);
            }
        }
    }
}
