using System.Runtime.CompilerServices;
using KpiPipeline.Curated;
using KpiPipeline.Lake;

namespace KpiPipeline.Kpis;

/// <summary>
/// The curated order lines: one Apache Parquet object per date and batch
/// (<c>curated/order_lines/date=YYYY-MM-DD/batch=B/lines.parquet</c>, the contract in docs/architecture.md), readable
/// as-is by Spark, DuckDB and Athena. The date column is called <c>order_date</c> because engines infer a
/// <c>date</c> column from the <c>date=…</c> folder. The previous version's CSV objects are still read.
/// </summary>
public static class CuratedOrderLines
{
    /// <summary>Lines per row group, and per block the engine reads or writes at once.</summary>
    public const int RowGroupLines = 1 << 17;

    /// <summary>The Parquet columns, in file order.</summary>
    public static IReadOnlyList<string> Columns => CuratedParquetSchema.Columns;

    /// <summary>The previous version's CSV header.</summary>
    public static IReadOnlyList<string> LegacyCsvColumns => LegacyCuratedCsv.Columns;

    /// <summary>Every line of a curated object (Parquet, or the previous version's CSV) as records.</summary>
    public static async IAsyncEnumerable<OrderLine> ReadAsync(IObjectStore store, string key, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var block = new OrderLineBlock(RowGroupLines);
        await foreach (var filled in ReadBlocksAsync(store, key, block, cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < filled.Count; i++)
                yield return filled.Line(i);
        }
    }

    /// <summary>Every line of a curated object, block by block: <paramref name="block"/> is refilled for each step.</summary>
    /// <param name="kpiColumnsOnly">Only the columns the KPI aggregator reads are filled (Parquet; a CSV object fills all).</param>
    internal static async IAsyncEnumerable<OrderLineBlock> ReadBlocksAsync(IObjectStore store, string key, OrderLineBlock block,
        [EnumeratorCancellation] CancellationToken cancellationToken, bool kpiColumnsOnly = false)
    {
        var location = store.Describe(key);
        await using var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        if (key.EndsWith(LakeLayout.LegacyCuratedExtension, StringComparison.Ordinal))
        {
            using var csv = new LegacyCuratedCsv(stream, location);
            while (await csv.ReadNextAsync(block, cancellationToken).ConfigureAwait(false))
                yield return block;
            yield break;
        }
        // Parquet is read from its footer backwards: an object store's response stream is spooled to a local file first.
        await using var seekable = stream.CanSeek ? null : await SpoolAsync(stream, cancellationToken).ConfigureAwait(false);
        using var reader = new CuratedParquetReader(seekable ?? stream, location, kpiColumnsOnly);
        while (reader.ReadNext(block))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return block;
        }
    }

    private static async Task<Stream> SpoolAsync(Stream source, CancellationToken cancellationToken)
    {
        var spool = new FileStream(Path.Combine(Path.GetTempPath(), $"kpi-curated-{Guid.NewGuid():N}.parquet"), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            await source.CopyToAsync(spool, cancellationToken).ConfigureAwait(false);
            spool.Position = 0;
            return spool;
        }
        catch
        {
            await spool.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Writes curated lines as Parquet to a stream, a row group every <see cref="RowGroupLines"/> lines.
    /// Disposing writes the last row group and the footer.
    /// </summary>
    public sealed class Writer : IAsyncDisposable
    {
        private readonly CuratedParquetWriter _parquet;
        private readonly OrderLineBlock _block;
        private bool _completed;

        public Writer(Stream stream, int rowGroupLines = RowGroupLines)
        {
            _parquet = new CuratedParquetWriter(stream);
            _block = new OrderLineBlock(rowGroupLines);
        }

        public long LinesWritten => _parquet.LinesWritten + _block.Count;

        /// <exception cref="InvalidDataException">The line's price does not fit DECIMAL(18,6).</exception>
        public ValueTask WriteAsync(OrderLine line, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _block.Add(line);
            if (_block.IsFull)
                WriteBlock();
            return ValueTask.CompletedTask;
        }

        /// <summary>Writes lines <paramref name="start"/>..<paramref name="start"/>+<paramref name="count"/> of a block of typed columns.</summary>
        internal void WriteRows(OrderLineBlock source, int start, int count)
        {
            while (count > 0)
            {
                var copied = _block.CopyRows(source, start, count);
                start += copied;
                count -= copied;
                if (_block.IsFull)
                    WriteBlock();
            }
        }

        /// <summary>Writes a block of lines (row groups follow the block's boundaries).</summary>
        internal void Write(OrderLineBlock block)
        {
            WriteBlock();
            _parquet.Write(block);
        }

        /// <summary>Writes what is buffered and the footer.</summary>
        public ValueTask CompleteAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!_completed)
            {
                WriteBlock();
                _parquet.Complete();
                _completed = true;
            }
            return ValueTask.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await CompleteAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _parquet.Dispose();
            }
        }

        private void WriteBlock()
        {
            _parquet.Write(_block);
            _block.Clear();
        }
    }
}
