using KpiPipeline.Kpis;
using KpiPipeline.Stores;

namespace KpiPipeline.Core.Tests.Stores;

/// <summary>What every KPI store promises: exact round trips and per-date replacement.</summary>
public abstract class KpiStoreContract
{
    protected static readonly DateOnly Day1 = new(2024, 1, 1);
    protected static readonly DateOnly Day2 = new(2024, 1, 2);
    private static readonly KpiLineage Lineage = new("2024-01-01", new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero));

    protected abstract Task<IKpiStore> CreateSutAsync();

    protected static KpiSnapshot Snapshot(int categories, DateOnly date) => new(
        [new DailyKpi(date, 1234567, 98765432.10m, 2345678, 0.0833m, 456789)],
        Enumerable.Range(0, categories)
            .Select(i => new CategoryKpi($"Category {i:D3}, \"quoted\" Ü", date, 1000.01m + i, 33.33m, 0.1234m))
            .ToArray());

    [Fact]
    public async Task WriteThenRead_RoundTripsExactDecimals()
    {
        await using var store = await CreateSutAsync();
        var written = Snapshot(categories: 3, Day1);

        await store.WriteAsync(written, Lineage, CancellationToken.None);
        var read = await store.ReadAsync(null, null, CancellationToken.None);

        Assert.Equal(written.Sorted().Daily, read.Sorted().Daily);
        Assert.Equal(written.Sorted().Category, read.Sorted().Category);
    }

    [Fact]
    public async Task WriteAsync_SameDateAgain_ReplacesItsRows()
    {
        await using var store = await CreateSutAsync();
        await store.WriteAsync(Snapshot(categories: 2, Day1), Lineage, CancellationToken.None);
        var corrected = Snapshot(categories: 2, Day1) with { Daily = [new DailyKpi(Day1, 1, 2.50m, 3, 0m, 1)] };

        await store.WriteAsync(corrected, Lineage, CancellationToken.None);
        var read = await store.ReadAsync(null, null, CancellationToken.None);

        Assert.Equal(corrected.Daily, read.Daily);
        Assert.Equal(2, read.Category.Count);
    }

    [Fact]
    public async Task WriteAsync_DateThatLostCategoriesOrAllLines_RemovesTheirStaleRows()
    {
        await using var store = await CreateSutAsync();
        await store.WriteAsync(Snapshot(3, Day1), Lineage, CancellationToken.None);
        await store.WriteAsync(Snapshot(2, Day2), Lineage, CancellationToken.None);
        var fewer = Snapshot(1, Day1);

        // Day 1 now has one category left; day 2 has no lines at all any more.
        await store.WriteAsync(fewer with { Dates = [Day1, Day2] }, Lineage, CancellationToken.None);
        var read = await store.ReadAsync(null, null, CancellationToken.None);

        Assert.Equal(fewer.Daily, read.Daily);
        Assert.Equal(fewer.Category, read.Category);
    }

    [Fact]
    public async Task ReadAsync_DateRange_ReturnsOnlyThoseDates()
    {
        await using var store = await CreateSutAsync();
        await store.WriteAsync(Snapshot(2, Day1), Lineage, CancellationToken.None);
        await store.WriteAsync(Snapshot(2, Day2), Lineage, CancellationToken.None);

        var read = await store.ReadAsync(Day2, Day2, CancellationToken.None);

        Assert.Equal(Day2, Assert.Single(read.Daily).Date);
        Assert.All(read.Category, c => Assert.Equal(Day2, c.Date));
    }
}
