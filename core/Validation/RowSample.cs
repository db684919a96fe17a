using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using KpiPipeline.Contracts;
using KpiPipeline.Csv;

namespace KpiPipeline.Validation;

/// <summary>
/// The first accepted rows of a file, column by column in schema order, for the <see cref="IFileInspector"/>.
/// Bounded in rows and in bytes of values, so a file of long rows cannot make it large. Its arrays are pooled:
/// <see cref="Release"/> them once the file is inspected.
/// </summary>
internal sealed class RowSample
{
    private const long MaxBytes = 32L * 1024 * 1024;

    private readonly HeaderBinding _binding;
    private readonly int _maxRows;
    private readonly SampleColumn?[] _columns;
    private readonly int[] _positions;
    private long[] _lines;
    private int _rows;
    private long _bytes;

    public RowSample(HeaderBinding binding, int maxRows)
    {
        _binding = binding;
        _maxRows = maxRows;
        var columns = binding.Schema.Columns;
        _columns = new SampleColumn?[columns.Count];
        _positions = new int[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            _positions[i] = binding.PositionOf(i);
            if (_positions[i] >= 0)
                _columns[i] = SampleColumn.For(columns[i], maxRows);
        }
        _lines = ArrayPool<long>.Shared.Rent(Math.Clamp(maxRows, 1, 16 * 1024));
    }

    public bool IsFull => _rows >= _maxRows || _bytes >= MaxBytes;

    /// <summary>Adds the record <paramref name="checker"/> has just accepted, taking the values it parsed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(CsvReader record, RowChecker checker)
    {
        for (var i = 0; i < _columns.Length; i++)
        {
            var column = _columns[i];
            if (column is null)
                continue;
            var value = Values.Trim(record[_positions[i]]);
            // The bound counts the values' UTF-8 bytes (at least their characters), whatever they are kept as.
            _bytes += value.Length;
            if (value.IsEmpty)
            {
                column.AddMissing();
                continue;
            }
            switch (column.Spec.Kind)
            {
                // An amount of more than 19 characters (padded with zeros) is read as written, so the profile shows
                // the decimal places it was written with (up to 19 both parsers build the same decimal); beyond 28
                // digits no decimal holds it as written, and the row checks' value (its significant digits) is kept.
                case ColumnKind.Decimal:
                    ((ValueColumn<decimal>)column).Add(value.Length <= 19 || !Values.TryParseDecimal(value, out var written) ? checker.AmountOf(i) : written);
                    break;
                case ColumnKind.Quantity:
                    ((ValueColumn<long>)column).Add(checker.QuantityOf(i));
                    break;
                case ColumnKind.Timestamp:
                    ((ValueColumn<DateTime>)column).Add(checker.TimestampOf(i));
                    break;
                default:
                    ((TextColumn)column).Add(value);
                    break;
            }
        }
        if (_rows == _lines.Length)
        {
            var larger = ArrayPool<long>.Shared.Rent(_rows * 2);
            _lines.CopyTo(larger, 0);
            ArrayPool<long>.Shared.Return(_lines);
            _lines = larger;
        }
        _lines[_rows++] = record.LineNumber;
    }

    /// <summary>Gives the sample's arrays back to the pool: call once the <see cref="FileSample"/> is no longer read.</summary>
    public void Release()
    {
        foreach (var column in _columns)
            column?.Release();
        ArrayPool<long>.Shared.Return(_lines);
        _lines = [];
        _rows = 0;
    }

    public FileSample ToSample(string key, DateOnly batchDate, long rowsRead, long accepted, long rejected, long offDateRows) =>
        new(key, _binding.Schema.Dataset, batchDate, _binding.Schema.Columns, _columns, _lines.AsMemory(0, _rows), rowsRead, accepted, rejected, offDateRows);
}
