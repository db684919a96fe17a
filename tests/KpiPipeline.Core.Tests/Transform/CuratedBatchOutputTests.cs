using System.Threading.Channels;
using KpiPipeline.Core.Tests.Kpis;
using KpiPipeline.Curated;
using KpiPipeline.Kpis;
using KpiPipeline.Testing;
using KpiPipeline.Transform;

namespace KpiPipeline.Core.Tests.Transform;

/// <summary>The curated writer feeds the sink as it goes: what the sink throws is what the caller sees.</summary>
public sealed class CuratedBatchOutputTests : IDisposable
{
    private readonly TempLake _lake = new();

    [Fact]
    public async Task ConsumeAsync_SinkThrowsADataError_ThatErrorStopsTheWholeOutput()
    {
        await using var output = new CuratedBatchOutput(_lake.Store, new DateOnly(2024, 1, 1), new FailingSink(after: 1_500));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => output.ConsumeAsync(Blocks(6), _ => { }, CancellationToken.None));

        Assert.Equal("line 1500 does not add up", error.Message);
    }

    [Fact]
    public async Task ConsumeAsync_SinkTakesEveryLineInOrder_AndEachBlockComesBackOnce()
    {
        var sink = new FailingSink(after: int.MaxValue);
        var returned = new List<OrderLineBlock>();
        await using var output = new CuratedBatchOutput(_lake.Store, new DateOnly(2024, 1, 1), sink);

        await output.ConsumeAsync(Blocks(6), block => { lock (returned) returned.Add(block); }, CancellationToken.None);

        Assert.Equal(6, returned.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 6 * 500), sink.Seen);
    }

    private static ChannelReader<OrderLineBlock> Blocks(int count)
    {
        var lines = RandomLines.Create(1, count * 500);
        var channel = Channel.CreateUnbounded<OrderLineBlock>();
        for (var b = 0; b < count; b++)
        {
            var block = new OrderLineBlock(500);
            foreach (var line in lines.Skip(b * 500).Take(500))
                block.Add(line with { Quantity = b * 500 + block.Count });
            channel.Writer.TryWrite(block);
        }
        channel.Writer.Complete();
        return channel.Reader;
    }

    /// <summary>Records each line's quantity (its position, as <see cref="Blocks"/> numbers them) and fails at one.</summary>
    private sealed class FailingSink(int after) : IBlockLineSink
    {
        public List<int> Seen { get; } = [];

        public void Add(OrderLine line) => throw new NotSupportedException();

        public void Add(OrderLineBlock block, int index)
        {
            var position = block.Quantity[index];
            if (position == after)
                throw new InvalidDataException($"line {position} does not add up");
            Seen.Add(position);
        }
    }

    public void Dispose() => _lake.Dispose();
}
