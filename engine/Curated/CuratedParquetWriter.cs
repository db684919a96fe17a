using System.Buffers;
using ParquetSharp;

namespace KpiPipeline.Curated;

/// <summary>
/// Writes curated order lines to a Parquet stream, one row group per <see cref="OrderLineBlock"/>, so a batch of any
/// size streams through one block of memory. <see cref="Complete"/> writes the footer; without it the stream holds
/// no valid file (and its object is never committed).
/// </summary>
internal sealed class CuratedParquetWriter : IDisposable
{
    private readonly ParquetFileWriter _file;
    // Pooled: a row group's worth is about 1 MB, and a run writes one object per date and batch.
    private ByteArray[] _values = ArrayPool<ByteArray>.Shared.Rent(1024);
    private short[] _definitionLevels = ArrayPool<short>.Shared.Rent(1024);
    private bool _completed;

    public CuratedParquetWriter(Stream stream)
    {
        using var schema = CuratedParquetSchema.CreateSchema();
        using var properties = CuratedParquetSchema.CreateWriterProperties();
        _file = new ParquetFileWriter(stream, schema, properties, keyValueMetadata: null, leaveOpen: true);
    }

    public long LinesWritten { get; private set; }

    /// <summary>Writes the block as one row group (nothing for an empty block).</summary>
    public void Write(OrderLineBlock block)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var count = block.Count;
        if (count == 0)
            return;
        if (_values.Length < count)
        {
            ArrayPool<ByteArray>.Shared.Return(_values);
            ArrayPool<short>.Shared.Return(_definitionLevels);
            _values = ArrayPool<ByteArray>.Shared.Rent(block.Capacity);
            _definitionLevels = ArrayPool<short>.Shared.Rent(block.Capacity);
        }
        using var rowGroup = _file.AppendRowGroup();
        Fixed(rowGroup, block.Dates.AsSpan(0, count));
        Text(rowGroup, block.BatchId, count);
        Text(rowGroup, block.LineKey, count);
        Text(rowGroup, block.OrderId, count);
        Text(rowGroup, block.ItemId, count);
        Text(rowGroup, block.UserId, count);
        Text(rowGroup, block.ProductId, count);
        Text(rowGroup, block.Category, count);
        Fixed(rowGroup, block.SalePrice.AsSpan(0, count));
        Fixed(rowGroup, block.Quantity.AsSpan(0, count));
        Fixed(rowGroup, block.Returned.AsSpan(0, count));
        Fixed(rowGroup, block.CreatedAt.AsSpan(0, count));
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

    public void Dispose()
    {
        _file.Dispose();
        if (_values.Length == 0)
            return;
        ArrayPool<ByteArray>.Shared.Return(_values);
        ArrayPool<short>.Shared.Return(_definitionLevels);
        _values = [];
        _definitionLevels = [];
    }

    private static void Fixed<T>(RowGroupWriter rowGroup, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        using var column = (ColumnWriter<T>)rowGroup.NextColumn();
        column.WriteBatch(values);
    }

    private unsafe void Text(RowGroupWriter rowGroup, Utf8Column values, int count)
    {
        using var column = (ColumnWriter<ByteArray>)rowGroup.NextColumn();
        var optional = column.ColumnDescriptor.MaxDefinitionLevel > 0;
        var present = 0;
        fixed (byte* bytes = values.Bytes)
        {
            for (var i = 0; i < count; i++)
            {
                if (values.IsNull(i))
                {
                    _definitionLevels[i] = 0;
                    continue;
                }
                _definitionLevels[i] = 1;
                var (start, length) = values.Range(i);
                _values[present++] = new ByteArray((IntPtr)(bytes + start), length);
            }
            if (optional)
                column.WriteBatch(count, _definitionLevels.AsSpan(0, count), default, _values.AsSpan(0, present));
            else if (present == count)
                column.WriteBatch(_values.AsSpan(0, count));
            else
                throw new InvalidOperationException($"Column {column.ColumnDescriptor.Name} is required but the block holds a null value.");
        }
    }
}
