using System.Text;
using KpiPipeline.Contracts;
using KpiPipeline.Csv;

namespace KpiPipeline.Validation;

/// <summary>
/// The first accepted rows of a file, as trimmed text in schema order, for the <see cref="IFileInspector"/>.
/// Bounded in rows and in characters, so a file of long rows cannot make it large.
/// </summary>
internal sealed class RowSample(HeaderBinding binding, int maxRows)
{
    private const long MaxChars = 32L * 1024 * 1024;

    private readonly List<string?[]> _rows = [];
    private readonly List<long> _lines = [];
    private long _chars;

    public bool IsFull => _rows.Count >= maxRows || _chars >= MaxChars;

    public void Add(CsvReader record)
    {
        var row = new string?[binding.Schema.Columns.Count];
        for (var i = 0; i < row.Length; i++)
        {
            var position = binding.PositionOf(i);
            if (position < 0)
                continue;
            var value = Encoding.UTF8.GetString(Values.Trim(record[position]));
            _chars += value.Length;
            row[i] = value;
        }
        _rows.Add(row);
        _lines.Add(record.LineNumber);
    }

    public FileSample ToSample(string key, DateOnly batchDate, long rowsRead, long accepted, long rejected, long offDateRows) =>
        new(key, binding.Schema.Dataset, batchDate, binding.Schema.Columns,
            [.. binding.Schema.Columns.Select((_, i) => binding.Has(i))], _rows, _lines, rowsRead, accepted, rejected, offDateRows);
}
