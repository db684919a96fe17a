using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Stores;

namespace KpiPipeline.Transform;

/// <summary>Ad-hoc recomputation: the KPIs of a date range from all curated order lines of those dates, stored.</summary>
public static class Recomputation
{
    /// <summary>Recomputes and stores every date in [<paramref name="from"/>, <paramref name="to"/>] that has curated data.</summary>
    public static async Task<KpiSnapshot> RunAsync(IObjectStore lake, IKpiStore kpis, IKpiEngine engine, DateOnly from, DateOnly to,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        if (to < from)
            throw new ArgumentException($"The range ends ({LakeLayout.FormatDate(to)}) before it starts ({LakeLayout.FormatDate(from)}).", nameof(to));
        var dates = await CuratedDatesAsync(lake, from, to, cancellationToken).ConfigureAwait(false);
        var snapshot = dates.Count == 0 ? KpiSnapshot.Empty : await engine.ComputeAsync(dates, sink: null, cancellationToken).ConfigureAwait(false);
        var range = $"recompute {LakeLayout.FormatDate(from)}..{LakeLayout.FormatDate(to)}";
        await kpis.WriteAsync(snapshot, new KpiLineage(range, clock.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        return snapshot;
    }

    /// <summary>The dates in the range that have curated order lines (folders <c>curated/order_lines/date=…/</c>).</summary>
    public static async Task<IReadOnlyList<DateOnly>> CuratedDatesAsync(IObjectStore lake, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var dates = new SortedSet<DateOnly>();
        await foreach (var item in lake.ListAsync(LakeLayout.CuratedOrderLinesPrefix, cancellationToken).ConfigureAwait(false))
        {
            var folder = item.Key.AsSpan(LakeLayout.CuratedOrderLinesPrefix.Length);
            var slash = folder.IndexOf('/');
            if (slash > 5 && folder.StartsWith("date=") && LakeLayout.TryParseDate(folder[5..slash], out var date) && date >= from && date <= to)
                dates.Add(date);
        }
        return [.. dates];
    }
}
