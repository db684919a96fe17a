using KpiPipeline.Core.Tests.Kpis;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Testing;
using KpiPipeline.Transform;

namespace KpiPipeline.Core.Tests.Transform;

/// <summary>Reading other batches' curated objects back, decoded on one thread and aggregated on another.</summary>
public sealed class InProcessKpiEngineReadBackTests : IDisposable
{
    private readonly TempLake _lake = new();

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public async Task ComputeAsync_ObjectsOfSeveralBatchesLargerThanABlock_EqualAggregatingTheLinesNewestFirst(int seed)
    {
        // 150k lines over two dates and three batches: each object spans several read-back blocks.
        var lines = RandomLines.Create(seed, 150_000);
        foreach (var group in lines.GroupBy(l => (l.Date, l.BatchId)))
            await WriteAsync(group.Key.Date, DateOnly.Parse(group.Key.BatchId, System.Globalization.CultureInfo.InvariantCulture), group);
        var dates = lines.Select(l => l.Date).Distinct().ToList();

        var kpis = await new InProcessKpiEngine(_lake.Store).ComputeAsync(dates, sink: null, CancellationToken.None);

        var expected = RandomLines.InProcess(lines);
        Assert.Equal(expected.Daily, kpis.Daily);
        Assert.Equal(expected.Category, kpis.Category);
    }

    [Fact]
    public async Task ComputeAsync_ADateWithAnObjectThatIsNotParquet_FailsNamingIt()
    {
        var date = new DateOnly(2024, 1, 1);
        await WriteAsync(date, date, RandomLines.Create(5, 1_000).Select(l => l with { Date = date, BatchId = "2024-01-01" }));
        await _lake.Store.PutAsync(LakeLayout.CuratedKey(date, date.AddDays(1)), "order_date\n"u8.ToArray(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidDataException>(
            () => new InProcessKpiEngine(_lake.Store).ComputeAsync([date], sink: null, CancellationToken.None));

        Assert.Contains("batch=2024-01-02/lines.parquet: not a Parquet file", error.Message, StringComparison.Ordinal);
    }

    private async Task WriteAsync(DateOnly date, DateOnly batchDate, IEnumerable<OrderLine> lines)
    {
        await using var output = await _lake.Store.CreateAsync(LakeLayout.CuratedKey(date, batchDate), CancellationToken.None);
        await using (var writer = new CuratedOrderLines.Writer(output.Stream))
        {
            foreach (var line in lines)
                await writer.WriteAsync(line, CancellationToken.None);
        }
        await output.CommitAsync(CancellationToken.None);
    }

    public void Dispose() => _lake.Dispose();
}
