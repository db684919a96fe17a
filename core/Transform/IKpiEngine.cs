using KpiPipeline.Kpis;

namespace KpiPipeline.Transform;

/// <summary>Computes the KPIs of whole dates from all curated order lines of those dates.</summary>
public interface IKpiEngine
{
    string Name { get; }

    Task<KpiSnapshot> ComputeAsync(IReadOnlyCollection<DateOnly> dates, CancellationToken cancellationToken);
}
