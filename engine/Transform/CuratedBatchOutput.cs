using System.Threading.Channels;
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

    public async Task ConsumeAsync(ChannelReader<List<OrderLine>> lines, CancellationToken cancellationToken)
    {
        await foreach (var batch in lines.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var line in batch)
            {
                if (!_outputs.TryGetValue(line.Date, out var output))
                {
                    output = new Output(await store.CreateAsync(LakeLayout.CuratedKey(line.Date, batchDate), cancellationToken).ConfigureAwait(false));
                    _outputs.Add(line.Date, output);
                }
                await output.Lines.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                sink?.Add(line);
            }
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
