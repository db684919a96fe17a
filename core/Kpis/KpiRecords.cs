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

    private readonly IReadOnlyCollection<DateOnly>? _dates;

    /// <summary>
    /// The dates the snapshot is complete for: a store replaces every row of these dates with the snapshot's.
    /// An engine includes dates that have no lines left, so their stale rows go too; by default, the daily rows' dates.
    /// </summary>
    public IReadOnlyCollection<DateOnly> Dates
    {
        get => _dates ?? Daily.Select(d => d.Date).ToArray();
        init => _dates = value;
    }

    /// <summary>The rows in a canonical order (date, then category), so snapshots compare with <c>SequenceEqual</c>.</summary>
    public KpiSnapshot Sorted() => new(
        Daily.OrderBy(d => d.Date).ToArray(),
        Category.OrderBy(c => c.Date).ThenBy(c => c.Category, StringComparer.Ordinal).ToArray())
    {
        Dates = Dates,
    };
}

/// <summary>Where stored KPIs came from.</summary>
public sealed record KpiLineage(string BatchId, DateTimeOffset ComputedAt);
