using System.Threading.Channels;
using KpiPipeline.Curated;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.Transform;

/// <summary>
/// The receiving end of a batch's join: writes each line to the batch's curated object of the line's date and
/// feeds the engine's sink. Nothing becomes visible until <see cref="CommitAsync"/>; disposing discards.
/// </summary>
internal sealed class CuratedBatchOutput(IObjectStore store, DateOnly batchDate, ILineSink? sink) : IAsyncDisposable
{
    private readonly Dictionary<DateOnly, Output> _outputs = [];

    /// <summary>Routes each line of each block to its date's curated object and to the sink; <paramref name="done"/> gets each block back.</summary>
    public async Task ConsumeAsync(ChannelReader<OrderLineBlock> blocks, Action<OrderLineBlock> done, CancellationToken cancellationToken)
    {
        var blockSink = sink as IBlockLineSink;
        await foreach (var block in blocks.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            // Lines come in runs of one date (a file is mostly one day): each run is copied to its object at once.
            for (var start = 0; start < block.Count;)
            {
                var day = block.Dates[start];
                var end = start + 1;
                while (end < block.Count && block.Dates[end] == day)
                    end++;
                var date = CuratedValues.FromEpochDay(day);
                if (!_outputs.TryGetValue(date, out var output))
                {
                    output = new Output(await store.CreateAsync(LakeLayout.CuratedKey(date, batchDate), cancellationToken).ConfigureAwait(false));
                    _outputs.Add(date, output);
                }
                await output.Lines.WriteRowsAsync(block, start, end - start).ConfigureAwait(false);
                for (var i = start; i < end; i++)
                {
                    if (blockSink is not null)
                        blockSink.Add(block, i);
                    else
                        sink?.Add(block.Line(i));
                }
                start = end;
            }
            done(block);
        }
    }

    /// <summary>
    /// Finishes every curated object (its last row groups and footer) without making any visible yet: the work
    /// before <see cref="CommitAsync"/>, which only publishes what is finished.
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        foreach (var output in _outputs.Values)
            await output.Lines.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Finishes (if <see cref="CompleteAsync"/> did not) and makes every curated object visible; returns the lines written per date.</summary>
    public async Task<Dictionary<DateOnly, long>> CommitAsync(CancellationToken cancellationToken)
    {
        await CompleteAsync(cancellationToken).ConfigureAwait(false);
        var written = new Dictionary<DateOnly, long>();
        foreach (var (date, output) in _outputs)
        {
            await output.Writer.CommitAsync(cancellationToken).ConfigureAwait(false);
            // This batch's lines of the date are now in Parquet: a CSV copy left by the previous version would count them twice.
            await store.DeleteAsync(LakeLayout.LegacyCuratedKey(date, batchDate), cancellationToken).ConfigureAwait(false);
            written[date] = output.Lines.LinesWritten;
        }
        return written;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var output in _outputs.Values)
        {
            await output.Lines.DisposeAsync().ConfigureAwait(false);
            await output.Writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class Output(IObjectWriter writer)
    {
        public IObjectWriter Writer { get; } = writer;

        public CuratedOrderLines.Writer Lines { get; } = new(writer.Stream);
    }
}
