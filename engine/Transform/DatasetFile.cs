using System.Text;
using KpiPipeline.Contracts;
using KpiPipeline.Csv;
using KpiPipeline.Lake;

namespace KpiPipeline.Transform;

/// <summary>
/// Reads a validated dataset file with its header bound to the canonical columns. Validated data has passed
/// every rule, so a value that still does not parse is a broken contract and fails the job with its location.
/// </summary>
internal sealed class DatasetFile : IDisposable
{
    private readonly CsvReader _reader;
    private readonly string _location;

    private DatasetFile(CsvReader reader, HeaderBinding binding, string location)
    {
        _reader = reader;
        Binding = binding;
        _location = location;
    }

    public HeaderBinding Binding { get; }

    public CsvReader Record => _reader;

    public long BytesRead => _reader.BytesConsumed;

    public static async Task<DatasetFile?> OpenAsync(IObjectStore store, string key, DatasetSchema schema, CancellationToken cancellationToken)
    {
        var reader = new CsvReader(await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false));
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            reader.Dispose();
            return null;
        }
        var headers = Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToArray();
        var binding = schema.Bind(headers);
        if (!binding.IsUsable)
        {
            reader.Dispose();
            throw new InvalidDataException($"{store.Describe(key)}: header does not fit {schema.Dataset} (missing {string.Join(", ", binding.MissingRequired)}); was the file validated?");
        }
        return new DatasetFile(reader, binding, store.Describe(key));
    }

    /// <summary>Next data record; blank lines are skipped.</summary>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        while (await _reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_reader.IsBlank)
                continue;
            if (_reader.Problem != CsvRecordProblem.None || _reader.FieldCount != Binding.Headers.Count)
                throw Broken(null, "malformed record");
            return true;
        }
        return false;
    }

    public ReadOnlySpan<byte> Field(int canonicalIndex)
    {
        var position = Binding.PositionOf(canonicalIndex);
        return position < 0 ? default : Values.Trim(_reader[position]);
    }

    public string Text(int canonicalIndex) => Encoding.UTF8.GetString(Field(canonicalIndex));

    /// <summary>A price or cost within the validator's bounds (<see cref="ValueBounds"/>), which is what keeps the sums from overflowing.</summary>
    public decimal Decimal(int canonicalIndex) =>
        Values.ParseAmount(Field(canonicalIndex), out var value, out _) == AmountStatus.Valid
            ? value
            : throw Broken(canonicalIndex, "not a decimal within the validator's bounds");

    public DateTime Timestamp(int canonicalIndex) =>
        Values.TryParseTimestamp(Field(canonicalIndex), out var value) ? value : throw Broken(canonicalIndex, "not a timestamp");

    public int Quantity(int canonicalIndex)
    {
        var field = Field(canonicalIndex);
        if (field.IsEmpty)
            return 1;
        return Values.TryParseInteger(field, out var value) && value is >= ValueBounds.MinQuantity and <= ValueBounds.MaxQuantity
            ? (int)value
            : throw Broken(canonicalIndex, "not a positive whole quantity");
    }

    public InvalidDataException Broken(int? canonicalIndex, string reason)
    {
        var column = canonicalIndex is { } index ? $", column {Binding.Schema.Columns[index].Name}" : "";
        return new InvalidDataException($"{_location}: line {_reader.LineNumber}{column}: {reason} in validated data; re-run the validator on this batch.");
    }

    public void Dispose() => _reader.Dispose();
}
