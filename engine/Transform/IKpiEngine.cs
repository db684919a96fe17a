using KpiPipeline.Kpis;

namespace KpiPipeline.Transform;

/// <summary>Computes the KPIs of whole dates from all curated order lines of those dates.</summary>
public interface IKpiEngine
{
    string Name { get; }

    /// <summary>
    /// A sink the KPI job feeds every line it writes for <paramref name="batchId"/>, so an engine that runs in this
    /// process can aggregate while the job joins instead of reading the lines back; null for engines that
    /// compute elsewhere.
    /// </summary>
    ILineSink? CreateSink(string batchId);

    /// <summary>The KPIs of <paramref name="dates"/>, from every curated object of those dates (with what <paramref name="sink"/> saw standing in for this batch's objects).</summary>
    Task<KpiSnapshot> ComputeAsync(IReadOnlyCollection<DateOnly> dates, ILineSink? sink, CancellationToken cancellationToken);
}

/// <summary>Receives the lines a batch writes to <c>curated/</c>.</summary>
public interface ILineSink
{
    void Add(OrderLine line);
}

/// <summary>A sink that takes the batch's lines as typed columns, so the join hands them over without a record per line.</summary>
internal interface IBlockLineSink : ILineSink
{
    void Add(Curated.OrderLineBlock block, int index);
}
