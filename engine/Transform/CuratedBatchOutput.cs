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
    /// <remarks>
    /// Writing Parquet and aggregating each take about as long as joining, so the sink takes the blocks on a task
    /// of its own, in order (the first copy of a duplicated line is the one counted), after the writer is done with them.
    /// </remarks>
    public async Task ConsumeAsync(ChannelReader<OrderLineBlock> blocks, Action<OrderLineBlock> done, CancellationToken cancellationToken)
    {
        if (sink is not IBlockLineSink blockSink)
        {
            await foreach (var block in blocks.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await WriteAsync(block, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < block.Count; i++)
                    sink?.Add(block.Line(i));
                done(block);
            }
            return;
        }
        var written = Channel.CreateBounded<OrderLineBlock>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var aggregating = Task.Run(async () =>
        {
            try
            {
                await foreach (var block in written.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
                {
                    for (var i = 0; i < block.Count; i++)
                        blockSink.Add(block, i);
                    done(block);
                }
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false); // stops the writer too
                throw;
            }
        }, CancellationToken.None);
        Exception? writeError = null;
        try
        {
            await foreach (var block in blocks.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                await WriteAsync(block, stop.Token).ConfigureAwait(false);
                await written.Writer.WriteAsync(block, stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            writeError = e;
        }
        written.Writer.TryComplete(writeError);
        try
        {
            await aggregating.ConfigureAwait(false);
        }
        catch when (writeError is not null and not OperationCanceledException)
        {
            // The sink stopped because writing failed: the writer's error is the one to report.
        }
        if (writeError is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(writeError);
    }

    /// <summary>Copies each run of one date to that date's curated object (a file is mostly one day).</summary>
    private async Task WriteAsync(OrderLineBlock block, CancellationToken cancellationToken)
    {
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
            output.Lines.WriteRows(block, start, end - start);
            start = end;
        }
    }

    /// <summary>Makes every curated object visible; returns the lines written per date.</summary>
    public async Task<Dictionary<DateOnly, long>> CommitAsync(CancellationToken cancellationToken)
    {
        var written = new Dictionary<DateOnly, long>();
        foreach (var (date, output) in _outputs)
        {
            await output.Lines.CompleteAsync(cancellationToken).ConfigureAwait(false);
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
