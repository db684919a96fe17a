namespace KpiPipeline.Kpis;

/// <summary>One row of <c>DailyKPIs</c>.</summary>
public sealed record DailyKpi(
    DateOnly Date,
    long TotalOrders,
    decimal TotalRevenue,
    long TotalItemsSold,
    decimal ReturnRate,
    long UniqueCustomers);

/// <summary>One row of <c>CategoryKPIs</c>.</summary>
public sealed record CategoryKpi(
    string Category,
    DateOnly Date,
    decimal DailyRevenue,
    decimal AvgOrderValue,
    decimal AvgReturnRate);

/// <summary>KPIs for a set of dates: every daily row and every category row of those dates.</summary>
public sealed record KpiSnapshot(IReadOnlyList<DailyKpi> Daily, IReadOnlyList<CategoryKpi> Category)
{
    public static readonly KpiSnapshot Empty = new([], []);

    public IEnumerable<DateOnly> Dates => Daily.Select(d => d.Date);

    /// <summary>The rows in a canonical order (date, then category), so snapshots compare with <c>SequenceEqual</c>.</summary>
    public KpiSnapshot Sorted() => new(
        Daily.OrderBy(d => d.Date).ToArray(),
        Category.OrderBy(c => c.Date).ThenBy(c => c.Category, StringComparer.Ordinal).ToArray());
}

/// <summary>Where stored KPIs came from.</summary>
public sealed record KpiLineage(string BatchId, DateTimeOffset ComputedAt);
