using Apache.Arrow;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// One row of a Spark result, read straight from the Arrow columns Spark sent: columns by name, values by type.
/// Conversions are exact only: an integer column reads as decimal, never a decimal as an integer; a type that
/// does not convert, a missing column or an unexpected NULL is a <see cref="SparkConnectException"/> naming it.
/// </summary>
public readonly struct SparkRow
{
    private readonly RecordBatch _batch;

    internal SparkRow(RecordBatch batch, int index)
    {
        _batch = batch;
        Index = index;
    }

    /// <summary>The row's position in its Arrow batch.</summary>
    public int Index { get; }

    public bool IsNull(string column) => Column(column).IsNull(Index);

    /// <summary>DECIMAL (Spark's exact numbers, Arrow Decimal128/256) or any integer column.</summary>
    public decimal GetDecimal(string column) => GetDecimalOrNull(column) ?? throw SparkConnectErrors.NullValue(column, Index);

    public decimal? GetDecimalOrNull(string column)
    {
        var array = Column(column);
        try
        {
            return array switch
            {
                Decimal128Array decimals => decimals.GetValue(Index),
                Decimal256Array decimals => decimals.GetValue(Index),
                _ => GetInt64OrNull(column),
            };
        }
        catch (OverflowException ex)
        {
            throw SparkConnectErrors.ValueOutOfRange(column, Index, "the decimal does not fit .NET decimal (28 significant digits)", ex);
        }
    }

    /// <summary>BIGINT, INT, SMALLINT or TINYINT.</summary>
    public long GetInt64(string column) => GetInt64OrNull(column) ?? throw SparkConnectErrors.NullValue(column, Index);

    public long? GetInt64OrNull(string column) => Column(column) switch
    {
        Int64Array longs => longs.GetValue(Index),
        Int32Array ints => ints.GetValue(Index),
        Int16Array shorts => shorts.GetValue(Index),
        Int8Array bytes => bytes.GetValue(Index),
        var other => throw WrongType(column, other, "an integer"),
    };

    /// <summary>DOUBLE or FLOAT.</summary>
    public double GetDouble(string column) => Column(column) switch
    {
        DoubleArray doubles => doubles.GetValue(Index) ?? throw SparkConnectErrors.NullValue(column, Index),
        FloatArray floats => floats.GetValue(Index) ?? throw SparkConnectErrors.NullValue(column, Index),
        var other => throw WrongType(column, other, "a double"),
    };

    /// <summary>STRING (Arrow Utf8, LargeUtf8 or Utf8View).</summary>
    public string GetString(string column) => GetStringOrNull(column) ?? throw SparkConnectErrors.NullValue(column, Index);

    public string? GetStringOrNull(string column) => Column(column) switch
    {
        StringArray strings => strings.IsNull(Index) ? null : strings.GetString(Index),
        LargeStringArray strings => strings.IsNull(Index) ? null : strings.GetString(Index),
        StringViewArray strings => strings.IsNull(Index) ? null : strings.GetString(Index),
        var other => throw WrongType(column, other, "a string"),
    };

    /// <summary>DATE (Arrow Date32, or Date64).</summary>
    public DateOnly GetDate(string column) => Column(column) switch
    {
        Date32Array dates => dates.GetDateOnly(Index) ?? throw SparkConnectErrors.NullValue(column, Index),
        Date64Array dates => dates.GetDateOnly(Index) ?? throw SparkConnectErrors.NullValue(column, Index),
        var other => throw WrongType(column, other, "a date"),
    };

    /// <summary>TIMESTAMP or TIMESTAMP_NTZ (Arrow Timestamp of any unit), as an instant in UTC.</summary>
    public DateTimeOffset GetTimestamp(string column) => Column(column) switch
    {
        TimestampArray timestamps => timestamps.GetTimestamp(Index)?.ToUniversalTime() ?? throw SparkConnectErrors.NullValue(column, Index),
        var other => throw WrongType(column, other, "a timestamp"),
    };

    public bool GetBoolean(string column) => Column(column) switch
    {
        BooleanArray booleans => booleans.GetValue(Index) ?? throw SparkConnectErrors.NullValue(column, Index),
        var other => throw WrongType(column, other, "a boolean"),
    };

    private IArrowArray Column(string column)
    {
        var index = _batch.Schema.GetFieldIndex(column, StringComparer.Ordinal);
        return index >= 0
            ? _batch.Column(index)
            : throw SparkConnectErrors.MissingColumn(column, _batch.Schema.FieldsList.Select(f => f.Name));
    }

    private static SparkConnectException WrongType(string column, IArrowArray array, string wanted) =>
        SparkConnectErrors.WrongColumnType(column, array.Data.DataType.Name, wanted);
}
