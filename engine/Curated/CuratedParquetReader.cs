using ParquetSharp;

namespace KpiPipeline.Curated;

/// <summary>
/// Reads a curated order-lines Parquet file row group by row group into an <see cref="OrderLineBlock"/>: typed
/// columns straight into arrays, text as UTF-8 bytes. Columns are found by name and their types checked, so a
/// file that is not a curated order-lines file fails with the column that does not fit.
/// </summary>
internal sealed class CuratedParquetReader : IDisposable
{
    private readonly ParquetFileReader _file;
    private readonly string _location;
    private readonly int[] _columns;
    private readonly ColumnReader?[] _readers = new ColumnReader?[CuratedParquetSchema.Columns.Count];
    private int _nextRowGroup;
    private RowGroupReader? _rowGroup;
    private long _remaining;
    private ByteArray[] _values = [];
    private short[] _definitionLevels = [];

    private readonly bool _kpiColumnsOnly;

    /// <param name="kpiColumnsOnly">
    /// Reads only what the KPI aggregator reads (date, line key, order, user, category, price, quantity, returned):
    /// the other columns are neither decompressed nor decoded, and stay empty in the blocks.
    /// </param>
    public CuratedParquetReader(Stream seekableStream, string location, bool kpiColumnsOnly = false)
    {
        _location = location;
        _kpiColumnsOnly = kpiColumnsOnly;
        try
        {
            using var properties = ReaderProperties.WithMemoryPool(CuratedParquetSchema.Memory);
            _file = new ParquetFileReader(seekableStream, properties, leaveOpen: true);
        }
        catch (ParquetException e)
        {
            throw new InvalidDataException($"{location}: not a Parquet file ({e.Message}).", e);
        }
        _columns = BindColumns();
    }

    public int RowGroups => _file.FileMetaData.NumRowGroups;

    /// <summary>Fills <paramref name="block"/> with the next lines (at most its capacity, within one row group); false after the last.</summary>
    public bool ReadNext(OrderLineBlock block)
    {
        block.Clear();
        while (_remaining == 0)
        {
            CloseRowGroup();
            if (_nextRowGroup == RowGroups)
                return false;
            _rowGroup = _file.RowGroup(_nextRowGroup++);
            _remaining = _rowGroup.MetaData.NumRows;
            for (var i = 0; i < _readers.Length; i++)
                _readers[i] = _rowGroup.Column(_columns[i]);
        }
        var count = (int)Math.Min(_remaining, block.Capacity);
        _remaining -= count;
        if (_values.Length < count)
        {
            _values = new ByteArray[block.Capacity];
            _definitionLevels = new short[block.Capacity];
        }
        for (var i = 0; i < count; i++)
            block.Next();
        Fixed(0, block.Dates.AsSpan(0, count));
        if (!_kpiColumnsOnly)
            Text(1, block.BatchId, count);
        Text(2, block.LineKey, count);
        Text(3, block.OrderId, count);
        if (!_kpiColumnsOnly)
            Text(4, block.ItemId, count);
        Text(5, block.UserId, count);
        if (!_kpiColumnsOnly)
            Text(6, block.ProductId, count);
        Text(7, block.Category, count);
        Fixed(8, block.SalePrice.AsSpan(0, count));
        Fixed(9, block.Quantity.AsSpan(0, count));
        Fixed(10, block.Returned.AsSpan(0, count));
        if (!_kpiColumnsOnly)
            Fixed(11, block.CreatedAt.AsSpan(0, count));
        return true;
    }

    public void Dispose()
    {
        CloseRowGroup();
        _file.Dispose();
    }

    private void CloseRowGroup()
    {
        for (var i = 0; i < _readers.Length; i++)
        {
            _readers[i]?.Dispose();
            _readers[i] = null;
        }
        _rowGroup?.Dispose();
        _rowGroup = null;
    }

    /// <summary>The file's column index of each contract column, after checking its types.</summary>
    private int[] BindColumns()
    {
        var metadata = _file.FileMetaData;
        var schema = metadata.Schema;
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < schema.NumColumns; i++)
        {
            var column = schema.Column(i);
            byName[column.Name] = i;
        }
        var positions = new int[CuratedParquetSchema.Columns.Count];
        using var expected = CuratedParquetSchema.CreateSchema();
        for (var i = 0; i < positions.Length; i++)
        {
            var name = CuratedParquetSchema.Columns[i];
            if (!byName.TryGetValue(name, out var position))
                throw new InvalidDataException($"{_location}: not a curated order-lines file (no column {name}).");
            var actual = schema.Column(position);
            using var wanted = (ParquetSharp.Schema.PrimitiveNode)expected.Field(i);
            using var actualType = actual.LogicalType;
            using var wantedType = wanted.LogicalType;
            if (actual.PhysicalType != wanted.PhysicalType || !actualType.Equals(wantedType))
                throw new InvalidDataException($"{_location}: column {name} is {actual.PhysicalType} {actualType}, not {wanted.PhysicalType} {wantedType} as curated order lines are.");
            positions[i] = position;
        }
        return positions;
    }

    private void Fixed<T>(int contractColumn, Span<T> values)
        where T : unmanaged
    {
        var column = (ColumnReader<T>)_readers[contractColumn]!;
        var read = 0;
        while (read < values.Length && column.HasNext)
        {
            column.ReadBatch(values.Length - read, values[read..], out var valuesRead);
            read += (int)valuesRead;
        }
        if (read != values.Length)
            throw new InvalidDataException($"{_location}: column {CuratedParquetSchema.Columns[contractColumn]} has {read} values where the row group has {values.Length} more lines.");
    }

    private unsafe void Text(int contractColumn, Utf8Column values, int count)
    {
        var column = (ColumnReader<ByteArray>)_readers[contractColumn]!;
        var optional = column.ColumnDescriptor.MaxDefinitionLevel > 0;
        var rows = 0;
        while (rows < count && column.HasNext)
        {
            var want = count - rows;
            long levels, valuesRead;
            if (optional)
            {
                levels = column.ReadBatch(want, _definitionLevels.AsSpan(0, want), default, _values.AsSpan(0, want), out valuesRead);
            }
            else
            {
                levels = column.ReadBatch(want, _values.AsSpan(0, want), out valuesRead);
                valuesRead = levels;
            }
            // The values point into the reader's current page: copied before the next read.
            var next = 0;
            for (var i = 0; i < levels; i++)
            {
                if (optional && _definitionLevels[i] == 0)
                {
                    values.AddNull();
                    continue;
                }
                var value = _values[next++];
                values.Add(new ReadOnlySpan<byte>((void*)value.Pointer, value.Length));
            }
            rows += (int)levels;
        }
        if (rows != count)
            throw new InvalidDataException($"{_location}: column {CuratedParquetSchema.Columns[contractColumn]} has {rows} values where the row group has {count} more lines.");
    }
}
