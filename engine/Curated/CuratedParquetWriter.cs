using System.Buffers;
using System.Runtime.ExceptionServices;
using ParquetSharp;

namespace KpiPipeline.Curated;

/// <summary>
/// Writes curated order lines to a Parquet stream, one row group per <see cref="OrderLineBlock"/>, so a batch of any
/// size streams through one block of memory. <see cref="Complete"/> writes the footer; without it the stream holds
/// no valid file (and its object is never committed).
/// </summary>
internal sealed class CuratedParquetWriter : IDisposable
{
    /// <summary>
    /// The columns in the order they are handed out to the encoding threads: the costliest first (long unique
    /// text, then the rest), so the last column a thread takes is a cheap one and both finish together.
    /// </summary>
    private static readonly int[] EncodingOrder = [2, 3, 11, 5, 4, 1, 6, 7, 8, 0, 9, 10];

    private readonly ParquetFileWriter _file;
    private readonly int _threads;
    private bool _completed;

    /// <param name="threads">
    /// How many threads encode the columns of a row group (at most one per core): the columns of a buffered row group
    /// are independent until it is closed, as Arrow's own writer uses them when told to use threads.
    /// </param>
    public CuratedParquetWriter(Stream stream, int threads = 2)
    {
        using var schema = CuratedParquetSchema.CreateSchema();
        using var properties = CuratedParquetSchema.CreateWriterProperties();
        _file = new ParquetFileWriter(stream, schema, properties, keyValueMetadata: null, leaveOpen: true);
        _threads = Math.Clamp(Math.Min(threads, Environment.ProcessorCount), 1, CuratedParquetSchema.Columns.Count);
    }

    public long LinesWritten { get; private set; }

    /// <summary>Writes the block as one row group (nothing for an empty block).</summary>
    public void Write(OrderLineBlock block)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var count = block.Count;
        if (count == 0)
            return;
        using var rowGroup = _file.AppendBufferedRowGroup();
        var columns = new ColumnWriter[EncodingOrder.Length];
        try
        {
            for (var i = 0; i < columns.Length; i++)
                columns[i] = rowGroup.Column(i);
            var next = -1;
            void Encode()
            {
                using var buffers = new TextBuffers(count);
                int taken;
                while ((taken = Interlocked.Increment(ref next)) < EncodingOrder.Length)
                {
                    var index = EncodingOrder[taken];
                    WriteColumn(columns[index], index, block, count, buffers);
                }
            }
            var helpers = new Task[_threads - 1];
            for (var i = 0; i < helpers.Length; i++)
                helpers[i] = Task.Run(Encode);
            Exception? failure = null;
            try
            {
                Encode();
            }
            catch (Exception e)
            {
                failure = e;
                Volatile.Write(ref next, EncodingOrder.Length);
            }
            // No helper may still be writing a column when the row group goes, whatever happened here.
            foreach (var helper in helpers)
            {
                try
                {
                    helper.GetAwaiter().GetResult();
                }
                catch (Exception e)
                {
                    failure ??= e;
                }
            }
            if (failure is not null)
                ExceptionDispatchInfo.Throw(failure);
        }
        finally
        {
            foreach (var column in columns)
                column?.Dispose();
        }
        rowGroup.Close();
        LinesWritten += count;
    }

    /// <summary>Writes the footer: the stream then holds a complete Parquet file.</summary>
    public void Complete()
    {
        if (_completed)
            return;
        _file.Close();
        _completed = true;
    }

    public void Dispose() => _file.Dispose();

    private static void WriteColumn(ColumnWriter column, int index, OrderLineBlock block, int count, TextBuffers buffers)
    {
        switch (index)
        {
            case 0: Fixed(column, block.Dates.AsSpan(0, count)); break;
            case 1: Text(column, block.BatchId, count, buffers); break;
            case 2: Text(column, block.LineKey, count, buffers); break;
            case 3: Text(column, block.OrderId, count, buffers); break;
            case 4: Text(column, block.ItemId, count, buffers); break;
            case 5: Text(column, block.UserId, count, buffers); break;
            case 6: Text(column, block.ProductId, count, buffers); break;
            case 7: Text(column, block.Category, count, buffers); break;
            case 8: Fixed(column, block.SalePrice.AsSpan(0, count)); break;
            case 9: Fixed(column, block.Quantity.AsSpan(0, count)); break;
            case 10: Fixed(column, block.Returned.AsSpan(0, count)); break;
            case 11: Fixed(column, block.CreatedAt.AsSpan(0, count)); break;
            default: throw new ArgumentOutOfRangeException(nameof(index), index, "The curated schema has 12 columns.");
        }
    }

    private static void Fixed<T>(ColumnWriter column, ReadOnlySpan<T> values)
        where T : unmanaged =>
        ((ColumnWriter<T>)column).WriteBatch(values);

    private static unsafe void Text(ColumnWriter writer, Utf8Column values, int count, TextBuffers buffers)
    {
        var column = (ColumnWriter<ByteArray>)writer;
        var optional = column.ColumnDescriptor.MaxDefinitionLevel > 0;
        var present = 0;
        var definitionLevels = buffers.DefinitionLevels;
        var pointers = buffers.Values;
        fixed (byte* bytes = values.Bytes)
        {
            for (var i = 0; i < count; i++)
            {
                if (values.IsNull(i))
                {
                    definitionLevels[i] = 0;
                    continue;
                }
                definitionLevels[i] = 1;
                var (start, length) = values.Range(i);
                pointers[present++] = new ByteArray((IntPtr)(bytes + start), length);
            }
            if (optional)
                column.WriteBatch(count, definitionLevels.AsSpan(0, count), default, pointers.AsSpan(0, present));
            else if (present == count)
                column.WriteBatch(pointers.AsSpan(0, count));
            else
                throw new InvalidOperationException($"Column {column.ColumnDescriptor.Name} is required but the block holds a null value.");
        }
    }

    /// <summary>One encoding thread's value descriptors for a text column (pooled: about 1 MB for a row group).</summary>
    private sealed class TextBuffers(int count) : IDisposable
    {
        public ByteArray[] Values { get; } = ArrayPool<ByteArray>.Shared.Rent(count);

        public short[] DefinitionLevels { get; } = ArrayPool<short>.Shared.Rent(count);

        public void Dispose()
        {
            ArrayPool<ByteArray>.Shared.Return(Values);
            ArrayPool<short>.Shared.Return(DefinitionLevels);
        }
    }
}
