using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KpiPipeline.Kpis;

namespace KpiPipeline.Core.Tests.Kpis;

public sealed class KpiAggregatorAbsorbTests
{
    /// <summary>Lines split by line key (so no duplicate spans the two halves) counted apart and absorbed equal them counted together.</summary>
    [Property]
    public Property Absorb_HalvesWithoutACommonLine_EqualsCountingAllLinesTogether()
    {
        return Prop.ForAll(Arb.From(Gen.Choose(1, 10_000)), Arb.From(Gen.Choose(1, 600)), (seed, count) =>
        {
            var lines = RandomLines.Create(seed, count);
            var left = Aggregate(lines.Where(l => (l.LineKey.GetHashCode(StringComparison.Ordinal) & 1) == 0));
            var right = Aggregate(lines.Where(l => (l.LineKey.GetHashCode(StringComparison.Ordinal) & 1) == 1));

            var shared = left.SharesLinesWith(right);
            left.Absorb(right);

            var expected = RandomLines.InProcess(lines);
            var actual = left.Result();
            return !shared && expected.Daily.SequenceEqual(actual.Daily) && expected.Category.SequenceEqual(actual.Category);
        });
    }

    [Fact]
    public void SharesLinesWith_ALineKeyOnTheSameDateInBoth_IsTrueAndAbsorbRefuses()
    {
        var lines = RandomLines.Create(9, 50);
        var left = Aggregate(lines);
        var right = Aggregate([lines[7] with { SalePrice = lines[7].SalePrice + 1 }]);

        Assert.True(left.SharesLinesWith(right));
        Assert.Throws<InvalidOperationException>(() => left.Absorb(right));
    }

    [Fact]
    public void SharesLinesWith_TheSameLineKeyOnAnotherDate_IsFalse()
    {
        var line = RandomLines.Create(9, 1)[0];
        var left = Aggregate([line]);
        var right = Aggregate([line with { Date = line.Date.AddDays(1) }]);

        Assert.False(left.SharesLinesWith(right));
    }

    private static KpiAggregator Aggregate(IEnumerable<OrderLine> lines)
    {
        var aggregator = new KpiAggregator();
        foreach (var line in RandomLines.NewestBatchFirst(lines))
            aggregator.Add(line);
        return aggregator;
    }
}
