using KpiPipeline.Kpis;

namespace KpiPipeline.Stores;

/// <summary>Where KPIs are kept: SQLite in the lake (embedded default) or DynamoDB (production). Same tables, same keys.</summary>
public interface IKpiStore : IAsyncDisposable
{
    /// <summary>A human-readable location for messages.</summary>
    string Location { get; }

    /// <summary>Stores the snapshot: every stored row of the snapshot's <see cref="KpiSnapshot.Dates"/> is replaced by the snapshot's rows.</summary>
    Task WriteAsync(KpiSnapshot snapshot, KpiLineage lineage, CancellationToken cancellationToken);

    /// <summary>Reads stored KPIs, optionally limited to a date range (inclusive).</summary>
    Task<KpiSnapshot> ReadAsync(DateOnly? from, DateOnly? to, CancellationToken cancellationToken);
}

/// <summary>
/// The KPI store cannot be used (a table missing, the database locked, read-only or on a full disk): an
/// infrastructure failure, with a message that names the store.
/// </summary>
public sealed class KpiStoreException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>The physical table names; CDK passes generated names through <c>DAILY_KPIS_TABLE</c> and <c>CATEGORY_KPIS_TABLE</c>.</summary>
public sealed record KpiTableNames(string Daily = "DailyKPIs", string Category = "CategoryKPIs")
{
    public static KpiTableNames FromEnvironment() => new(
        Environment.GetEnvironmentVariable("DAILY_KPIS_TABLE") is { Length: > 0 } daily ? daily : "DailyKPIs",
        Environment.GetEnvironmentVariable("CATEGORY_KPIS_TABLE") is { Length: > 0 } category ? category : "CategoryKPIs");
}
