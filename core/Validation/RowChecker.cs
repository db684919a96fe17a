using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using KpiPipeline.Contracts;
using KpiPipeline.Csv;

namespace KpiPipeline.Validation;

/// <summary>
/// Applies the row-level rules to the records of one file, in a fixed order: how the record splits, field
/// count, each canonical column's value in schema order, references, and last the batch-wide key, so that
/// only rows that pass everything else claim their key.
/// </summary>
internal sealed class RowChecker
{
    private const int MaxFoundLength = 200;

    private readonly DatasetSchema _schema;
    private readonly ColumnCheck[] _columns;
    private readonly int _headerFieldCount;
    private readonly DateTime _earliest;
    private readonly DateTime _latest;
    private readonly DateOnly? _batchDate;
    private readonly BatchKeys _keys;
    private readonly KeyTable _ownKeys;
    private readonly int _keyPosition;          // -1: the row's content is its key (order items without an id column)
    private readonly int _createdAtPosition;    // orders: to count rows dated off the batch date
    private readonly ColumnCheck? _orderReference;
    private readonly ColumnCheck? _productReference;
    private const ulong ContentSeed = 0xCBF29CE484222325UL;
    private readonly byte[] _contentKey = new byte[8];
    private readonly byte[] _lastOrder = new byte[64];
    private int _lastOrderLength = -1;
    private DateTime _lastTimestamp;            // created_at of the row being checked, parsed once
    private readonly decimal[] _amounts;        // by schema column: the values of the row checked last, for the sample
    private readonly long[] _quantities;
    private readonly DateTime[] _timestamps;

    public RowChecker(HeaderBinding binding, int headerFieldCount, ValidationOptions options, DateTime validationTime, DateOnly? batchDate, BatchKeys keys)
    {
        _schema = binding.Schema;
        _headerFieldCount = headerFieldCount;
        _earliest = options.EarliestTimestamp;
        _latest = validationTime + options.FutureTolerance;
        _batchDate = batchDate;
        _keys = keys;
        _columns = _schema.Columns
            .Select((spec, index) => new ColumnCheck(spec, index, binding.PositionOf(index), binding.Has(index) ? binding.Headers[binding.PositionOf(index)] : spec.Name, spec.MustHaveValue(binding.Has(index))))
            .ToArray();
        _amounts = new decimal[_columns.Length];
        _quantities = new long[_columns.Length];
        _timestamps = new DateTime[_columns.Length];
        var keyColumn = _schema.Dataset switch
        {
            Dataset.Products => "id",
            Dataset.Orders => "order_id",
            _ => "id",
        };
        _keyPosition = binding.PositionOf(keyColumn);
        _ownKeys = keys.KeysOf(_schema.Dataset, _keyPosition >= 0);
        _createdAtPosition = _schema.Dataset == Dataset.Orders ? binding.PositionOf("created_at") : -1;
        if (_schema.Dataset == Dataset.OrderItems)
        {
            _orderReference = _columns[_schema.IndexOf("order_id")];
            _productReference = _columns[_schema.IndexOf("product_id")];
        }
    }

    /// <summary>The table this file's keys go to.</summary>
    public KeyTable OwnKeys => _ownKeys;

    /// <summary>The amount in schema column <paramref name="column"/> of the last accepted row, as the checks parsed it.</summary>
    public decimal AmountOf(int column) => _amounts[column];

    /// <summary>The quantity in schema column <paramref name="column"/> of the last accepted row.</summary>
    public long QuantityOf(int column) => _quantities[column];

    /// <summary>The timestamp (UTC) in schema column <paramref name="column"/> of the last accepted row.</summary>
    public DateTime TimestampOf(int column) => _timestamps[column];

    /// <summary>True when the last accepted row was an order dated off the batch date.</summary>
    public bool LastRowOffDate { get; private set; }

    /// <summary>Checks the current record; null when it is accepted (and its key is then claimed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Violation? Check(CsvReader record)
    {
        LastRowOffDate = false;
        switch (record.Problem)
        {
            case CsvRecordProblem.UnterminatedQuote:
                return new Violation(ValidationRules.UnterminatedQuote, record.LineNumber, null, ValidationRules.UnterminatedQuote.Expected, Found(record.RawRecord));
            case CsvRecordProblem.TextAfterClosingQuote:
                return new Violation(ValidationRules.TextAfterQuote, record.LineNumber, null, ValidationRules.TextAfterQuote.Expected, Found(record.RawRecord));
            case CsvRecordProblem.RecordTooLong:
                return new Violation(ValidationRules.RecordTooLong, record.LineNumber, null, ValidationRules.RecordTooLong.Expected, $"a row of more than {record.RawRecord.Length} bytes");
        }
        if (record.FieldCount != _headerFieldCount)
        {
            return new Violation(ValidationRules.FieldCountMismatch, record.LineNumber, null,
                $"{_headerFieldCount} fields, as the header", $"{record.FieldCount} fields");
        }
        // The row's content hash is taken along with the checks, which trim each value anyway (see ContentHash).
        var hash = ContentSeed;
        foreach (var column in _columns)
        {
            if (column.Position < 0)
            {
                hash = KeyHash.Append(hash, default);
                continue;
            }
            var violation = CheckValue(column, record[column.Position], record.LineNumber, ref hash);
            if (violation is not null)
                return violation;
        }
        if (_orderReference is not null && !IsKnownOrder(Values.Trim(record[_orderReference.Position])))
            return Reject(ValidationRules.UnknownOrder, _orderReference, record.LineNumber, record[_orderReference.Position]);
        if (_productReference is not null && !_keys.Products.Contains(Values.Trim(record[_productReference.Position])))
            return Reject(ValidationRules.UnknownProduct, _productReference, record.LineNumber, record[_productReference.Position]);

        var content = (long)KeyHash.Finish(hash);
        ReadOnlySpan<byte> key;
        if (_keyPosition >= 0)
        {
            key = Values.Trim(record[_keyPosition]);
        }
        else
        {
            BinaryPrimitives.WriteInt64LittleEndian(_contentKey, content);
            key = _contentKey;
        }
        if (!_ownKeys.TryAdd(key, Fold(content), out var first))
        {
            var rule = first == Fold(content) ? ValidationRules.DuplicateIdentical : ValidationRules.DuplicateKeyConflict;
            var column = _keyPosition >= 0 ? _columns.First(c => c.Position == _keyPosition).Header : null;
            return new Violation(rule, record.LineNumber, column, rule.Expected, _keyPosition >= 0 ? Found(key) : Found(record.RawRecord));
        }
        if (_createdAtPosition >= 0 && _batchDate is { } batchDate && DateOnly.FromDateTime(_lastTimestamp) != batchDate)
            LastRowOffDate = true;
        return null;
    }

    /// <summary>Order items come grouped by order: remembering the last order found saves most lookups.</summary>
    private bool IsKnownOrder(ReadOnlySpan<byte> orderId)
    {
        if (_lastOrderLength >= 0 && orderId.SequenceEqual(_lastOrder.AsSpan(0, _lastOrderLength)))
            return true;
        if (!_keys.Orders.Contains(orderId))
            return false;
        if (orderId.Length <= _lastOrder.Length)
        {
            orderId.CopyTo(_lastOrder);
            _lastOrderLength = orderId.Length;
        }
        return true;
    }

    /// <summary>Claims the key of a row of a file validated by an earlier run, without judging it again.</summary>
    public void Register(CsvReader record)
    {
        if (record.Problem != CsvRecordProblem.None || record.FieldCount != _headerFieldCount)
            return;
        var content = ContentHash(record);
        if (_keyPosition >= 0)
        {
            _ownKeys.TryAdd(Values.Trim(record[_keyPosition]), Fold(content), out _);
            return;
        }
        BinaryPrimitives.WriteInt64LittleEndian(_contentKey, content);
        _ownKeys.TryAdd(_contentKey, Fold(content), out _);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Violation? CheckValue(ColumnCheck column, ReadOnlySpan<byte> value, long line, ref ulong contentHash)
    {
        var trimmed = Values.Trim(value);
        contentHash = KeyHash.Append(contentHash, trimmed);
        if (trimmed.IsEmpty)
            return column.MustHaveValue ? Reject(ValidationRules.RequiredFieldEmpty, column, line, value) : null;
        switch (column.Kind)
        {
            case ColumnKind.Decimal:
                // Every decimal column of the contracts is a price or a cost, bounded so no KPI sum can overflow.
                var status = Values.ParseAmount(trimmed, out var amount, out var negative);
                _amounts[column.Index] = amount;
                if (status == AmountStatus.NotANumber)
                    return Reject(IsNonFinite(trimmed) ? ValidationRules.NumberNotFinite : ValidationRules.NotANumber, column, line, value);
                if (negative && (status != AmountStatus.Valid || amount != 0))
                    return Reject(ValidationRules.NegativeAmount, column, line, value);
                return status switch
                {
                    AmountStatus.TooLarge => Reject(ValidationRules.AmountOutOfRange, column, line, value),
                    AmountStatus.TooPrecise => Reject(ValidationRules.TooManyDecimalPlaces, column, line, value),
                    _ => null,
                };
            case ColumnKind.Quantity:
                if (!Values.TryParseInteger(trimmed, out var quantity) || quantity < ValueBounds.MinQuantity)
                    return Reject(ValidationRules.InvalidQuantity, column, line, value);
                _quantities[column.Index] = quantity;
                return quantity > ValueBounds.MaxQuantity ? Reject(ValidationRules.QuantityOutOfRange, column, line, value) : null;
            case ColumnKind.Timestamp:
                if (!Values.TryParseTimestamp(trimmed, out var utc))
                    return Reject(ValidationRules.InvalidTimestamp, column, line, value);
                if (utc < _earliest)
                    return new Violation(ValidationRules.TimestampTooEarly, line, column.Header, $"on or after {Iso(_earliest)}", Found(value));
                if (utc > _latest)
                    return new Violation(ValidationRules.TimestampInFuture, line, column.Header, $"not after {Iso(_latest)}", Found(value));
                if (column.Position == _createdAtPosition)
                    _lastTimestamp = utc;
                _timestamps[column.Index] = utc;
                return null;
            default:
                return null;
        }
    }

    /// <summary>NaN and infinities, however spelled, and numbers that only a float could hold and then only as infinity.</summary>
    private static bool IsNonFinite(ReadOnlySpan<byte> value)
    {
        var unsigned = value[0] is (byte)'+' or (byte)'-' ? value[1..] : value;
        if (Ascii.EqualsIgnoreCase(unsigned, "nan"u8) || Ascii.EqualsIgnoreCase(unsigned, "inf"u8) || Ascii.EqualsIgnoreCase(unsigned, "infinity"u8))
            return true;
        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !double.IsFinite(number);
    }

    /// <summary>
    /// A 64-bit hash of the canonical values (trimmed, in schema order, absent columns as empty), so the
    /// same row exported with other column order, aliases or quoting is recognised as identical. <see cref="Check"/>
    /// takes the same hash along with its checks; this is for rows it does not check.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long ContentHash(CsvReader record)
    {
        var hash = ContentSeed;
        foreach (var column in _columns)
            hash = KeyHash.Append(hash, column.Position >= 0 ? Values.Trim(record[column.Position]) : default);
        return (long)KeyHash.Finish(hash);
    }

    /// <summary>The content hash as stored beside a key: 32 bits tell an identical repeat from a conflict well enough.</summary>
    private static int Fold(long content) => (int)content ^ (int)(content >> 32);

    private static Violation Reject(ValidationRule rule, ColumnCheck column, long line, ReadOnlySpan<byte> value) =>
        new(rule, line, column.Header, rule.Expected, Found(value));

    /// <summary>The offending value as text for reports, shortened: the rejects file keeps the whole row.</summary>
    internal static string Found(ReadOnlySpan<byte> value)
    {
        var text = Encoding.UTF8.GetString(value.Length > MaxFoundLength * 4 ? value[..(MaxFoundLength * 4)] : value);
        return text.Length > MaxFoundLength ? string.Concat(text.AsSpan(0, MaxFoundLength), "…") : text;
    }

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed record ColumnCheck(ColumnSpec Spec, int Index, int Position, string Header, bool MustHaveValue)
    {
        public ColumnKind Kind => Spec.Kind;
    }
}
