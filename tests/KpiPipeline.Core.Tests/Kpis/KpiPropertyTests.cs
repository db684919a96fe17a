using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KpiPipeline.Kpis;

namespace KpiPipeline.Core.Tests.Kpis;

public sealed class KpiPropertyTests
{
    [Property]
    public Property Result_AnyLines_CategoryRevenueSumsToDailyRevenue()
    {
        return Prop.ForAll(Arb.From(Gen.Choose(1, 10_000)), Arb.From(Gen.Choose(1, 500)), (seed, count) =>
        {
            var kpis = RandomLines.InProcess(RandomLines.Create(seed, count));
            return kpis.Daily.All(day => kpis.Category.Where(c => c.Date == day.Date).Sum(c => c.DailyRevenue) == day.TotalRevenue);
        });
    }

    [Property]
    public Property Result_AnyLines_RatesStayWithinZeroAndOne()
    {
        return Prop.ForAll(Arb.From(Gen.Choose(1, 10_000)), Arb.From(Gen.Choose(1, 500)), (seed, count) =>
        {
            var kpis = RandomLines.InProcess(RandomLines.Create(seed, count));
            return kpis.Daily.All(d => d.ReturnRate is >= 0 and <= 1 && d.UniqueCustomers <= d.TotalOrders)
                && kpis.Category.All(c => c.AvgReturnRate is >= 0 and <= 1);
        });
    }

    [Property]
    public Property Add_SameLinesTwice_CountsThemOnce()
    {
        return Prop.ForAll(Arb.From(Gen.Choose(1, 10_000)), Arb.From(Gen.Choose(1, 300)), (seed, count) =>
        {
            var lines = RandomLines.Create(seed, count);
            var once = RandomLines.InProcess(lines);
            var twice = RandomLines.InProcess(lines.Concat(lines));
            return once.Daily.SequenceEqual(twice.Daily) && once.Category.SequenceEqual(twice.Category);
        });
    }
}
