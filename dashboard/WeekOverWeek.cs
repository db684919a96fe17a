using KpiPipeline.Kpis;

namespace KpiPipeline.Dashboard;

/// <param name="Change">(this − previous) / previous; null when the previous week is zero (no base to compare with).</param>
public sealed record WeekMetric(string Name, decimal ThisWeek, decimal PreviousWeek, decimal? Change);

/// <summary>The seven days ending <paramref name="To"/> against the seven before them.</summary>
public sealed record WeekOverWeekChange(DateOnly To, IReadOnlyList<WeekMetric> Metrics);

public static class WeekOverWeek
{
    public static WeekOverWeekChange Compute(IEnumerable<DailyKpi> daily, DateOnly to)
    {
        var rows = daily.ToList();
        var thisWeek = rows.Where(d => d.Date > to.AddDays(-7) && d.Date <= to).ToList();
        var previous = rows.Where(d => d.Date > to.AddDays(-14) && d.Date <= to.AddDays(-7)).ToList();
        return new WeekOverWeekChange(to,
        [
            Metric("total_revenue", thisWeek.Sum(d => d.TotalRevenue), previous.Sum(d => d.TotalRevenue)),
            Metric("total_orders", thisWeek.Sum(d => d.TotalOrders), previous.Sum(d => d.TotalOrders)),
            Metric("total_items_sold", thisWeek.Sum(d => d.TotalItemsSold), previous.Sum(d => d.TotalItemsSold)),
            Metric("return_rate", ReturnRate(thisWeek), ReturnRate(previous)),
        ]);
    }

    /// <summary>A week's return rate is returned orders over orders, so each day weighs by its orders.</summary>
    private static decimal ReturnRate(IReadOnlyList<DailyKpi> days)
    {
        var orders = days.Sum(d => d.TotalOrders);
        return orders == 0 ? 0m : Math.Round(days.Sum(d => d.ReturnRate * d.TotalOrders) / orders, 6, MidpointRounding.ToEven);
    }

    private static WeekMetric Metric(string name, decimal thisWeek, decimal previous) =>
        new(name, thisWeek, previous, previous == 0 ? null : Math.Round((thisWeek - previous) / previous, 6, MidpointRounding.ToEven));
}
