using KpiPipeline.Core.Tests.Kpis;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Testing;

namespace KpiPipeline.Core.Tests.Curated;

/// <summary>The curated Parquet format through the engine's own writer and reader.</summary>
public sealed class CuratedOrderLinesTests : IDisposable
{
    private static readonly DateOnly Date = new(2024, 1, 1);
    private readonly TempLake _lake = new();

    [Fact]
    public async Task Writer_LinesOverSeveralRowGroups_ReadBackAsWritten()
    {
        var lines = RandomLines.Create(seed: 7, count: 1000)
            .Select((line, i) => line with { CreatedAt = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(i * 1_234_560L) })
            .ToList();

        await WriteAsync(lines, rowGroupLines: 64);
        var read = await ReadAsync();

        Assert.Equal(lines, read);
    }

    [Fact]
    public async Task Writer_LineWithoutItemId_ReadsBackWithoutOne()
    {
        var line = new OrderLine(Date, "2024-01-01", "r:o1|p1|1.5", "o1", "u1", "p1", "Ça", 1.5m, 1, false) { CreatedAt = DateTime.UnixEpoch };

        await WriteAsync([line]);

        Assert.Null(Assert.Single(await ReadAsync()).ItemId);
    }

    [Fact]
    public async Task Writer_PriceWithSevenDecimalPlaces_FailsNamingTheLine()
    {
        var line = new OrderLine(Date, "2024-01-01", "i:9", "o1", "u1", "p1", "A", 1.0000001m, 1, false);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => WriteAsync([line]));

        Assert.Contains("2024-01-01: order o1, line i:9: sale price 1.0000001", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writer_StreamFailingWhileARowGroupIsEncodedInTheBackground_FailsTheWriterAndDisposes()
    {
        var lines = RandomLines.Create(seed: 3, count: 1000);
        // "PAR1" fits: the first row group, encoded while the second fills, does not.
        var stream = new FailingStream(failAfterBytes: 4);
        var writer = new CuratedOrderLines.Writer(stream, rowGroupLines: 64);

        var error = await Record.ExceptionAsync(async () =>
        {
            foreach (var line in lines)
                await writer.WriteAsync(line, CancellationToken.None);
            await writer.CompleteAsync(CancellationToken.None);
        });
        await writer.DisposeAsync();

        Assert.NotNull(error);
        Assert.Contains(FailingStream.Message, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_ObjectThatIsNotParquet_FailsNamingIt()
    {
        await _lake.Store.PutAsync(LakeLayout.CuratedKey(Date, Date), "order_date\n"u8.ToArray(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidDataException>(ReadAsync);

        Assert.Contains("lines.parquet: not a Parquet file", error.Message, StringComparison.Ordinal);
    }

    private async Task WriteAsync(IEnumerable<OrderLine> lines, int rowGroupLines = CuratedOrderLines.RowGroupLines)
    {
        await using var output = await _lake.Store.CreateAsync(LakeLayout.CuratedKey(Date, Date), CancellationToken.None);
        await using (var writer = new CuratedOrderLines.Writer(output.Stream, rowGroupLines))
        {
            foreach (var line in lines)
                await writer.WriteAsync(line, CancellationToken.None);
        }
        await output.CommitAsync(CancellationToken.None);
    }

    private async Task<List<OrderLine>> ReadAsync()
    {
        var lines = new List<OrderLine>();
        await foreach (var line in CuratedOrderLines.ReadAsync(_lake.Store, LakeLayout.CuratedKey(Date, Date), CancellationToken.None))
            lines.Add(line);
        return lines;
    }

    public void Dispose() => _lake.Dispose();

    /// <summary>A stream that takes a few bytes and then fails every write, as a full disk or a dropped upload would.</summary>
    private sealed class FailingStream(int failAfterBytes) : MemoryStream
    {
        public const string Message = "the disk is full (test)";

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Length + count > failAfterBytes)
                throw new IOException(Message);
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Length + buffer.Length > failAfterBytes)
                throw new IOException(Message);
            base.Write(buffer.ToArray(), 0, buffer.Length);
        }
    }
}
