using KpiPipeline.Core.Tests.Kpis;
using KpiPipeline.Curated;
using KpiPipeline.Kpis;

namespace KpiPipeline.Core.Tests.Curated;

/// <summary>The Parquet writer under the curated writer: its columns are encoded on several threads.</summary>
public sealed class CuratedParquetWriterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Write_BlockWithANullInARequiredColumn_FailsWithThatColumnsOwnError(int threads)
    {
        var block = new OrderLineBlock(4);
        foreach (var line in RandomLines.Create(seed: 5, count: 3))
            block.Add(line);
        // A fourth line whose user id is missing: user_id is a required column.
        var i = block.Next();
        block.Dates[i] = block.Dates[0];
        block.BatchId.Add("2024-01-01"u8);
        block.LineKey.Add("i:9"u8);
        block.OrderId.Add("9"u8);
        block.ItemId.Add("9"u8);
        block.UserId.AddNull();
        block.ProductId.Add("p1"u8);
        block.Category.Add("A"u8);
        using var writer = new CuratedParquetWriter(new MemoryStream(), threads);

        var error = Assert.Throws<InvalidOperationException>(() => writer.Write(block));

        Assert.Contains("user_id is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Memory_WhereArrowBundlesJemalloc_IsJemalloc()
    {
        // Linux and macOS builds of ParquetSharp carry jemalloc; the C library's allocator fragments under the
        // twelve columns encoded together (a day of 10M lines: ~330 MB against ~250 MB).
        var expected = OperatingSystem.IsWindows() ? "system" : "jemalloc";

        Assert.Equal(expected, CuratedParquetSchema.Memory.BackendName);
    }
}
