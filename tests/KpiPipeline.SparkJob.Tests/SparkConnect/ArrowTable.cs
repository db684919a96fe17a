using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

/// <summary>
/// Typed columns built with Apache.Arrow's own builders and written as Arrow IPC by its <see cref="ArrowStreamWriter"/>,
/// in the types Spark's ArrowConverters send: DECIMAL as Decimal128, BIGINT as Int64, DOUBLE as Float64, STRING as
/// Utf8, DATE as Date32, TIMESTAMP as Timestamp(µs, session time zone), BOOLEAN as Bool.
/// </summary>
internal sealed class ArrowTable
{
    private readonly List<(Field Field, IArrowArray Array)> _columns = [];

    public int Length => _columns.Count == 0 ? 0 : _columns[0].Array.Length;

    public ArrowTable Decimal(string name, int precision, int scale, params decimal?[] values)
    {
        var builder = new Decimal128Array.Builder(new Decimal128Type(precision, scale));
        foreach (var value in values)
        {
            if (value is { } v)
                builder.Append(v);
            else
                builder.AppendNull();
        }

        return Add(name, builder.Build());
    }

    public ArrowTable Int64(string name, params long?[] values)
    {
        var builder = new Int64Array.Builder();
        foreach (var value in values)
        {
            if (value is { } v)
                builder.Append(v);
            else
                builder.AppendNull();
        }

        return Add(name, builder.Build());
    }

    public ArrowTable Int32(string name, params int?[] values)
    {
        var builder = new Int32Array.Builder();
        foreach (var value in values)
        {
            if (value is { } v)
                builder.Append(v);
            else
                builder.AppendNull();
        }

        return Add(name, builder.Build());
    }

    public ArrowTable Double(string name, params double?[] values)
    {
        var builder = new DoubleArray.Builder();
        foreach (var value in values)
        {
            if (value is { } v)
                builder.Append(v);
            else
                builder.AppendNull();
        }

        return Add(name, builder.Build());
    }

    public ArrowTable String(string name, params string?[] values)
    {
        var builder = new StringArray.Builder();
        foreach (var value in values)
        {
            if (value is null)
                builder.AppendNull();
            else
                builder.Append(value);
        }

        return Add(name, builder.Build());
    }

    public ArrowTable Date(string name, params DateOnly?[] values)
    {
        var builder = new Date32Array.Builder();
        foreach (var value in values)
        {
            if (value is { } v)
                builder.Append(v);
            else
                builder.AppendNull();
        }

        return Add(name, builder.Build());
    }

    public ArrowTable Timestamp(string name, string timeZone, params DateTimeOffset?[] values)
    {
        var builder = new TimestampArray.Builder(new TimestampType(TimeUnit.Microsecond, timeZone));
        foreach (var value in values)
        {
            if (value is { } v)
                builder.Append(v);
            else
                builder.AppendNull();
        }

        return Add(name, builder.Build());
    }

    public ArrowTable Boolean(string name, params bool?[] values)
    {
        var builder = new BooleanArray.Builder();
        foreach (var value in values)
        {
            if (value is { } v)
                builder.Append(v);
            else
                builder.AppendNull();
        }

        return Add(name, builder.Build());
    }

    public ArrowTable Add(string name, IArrowArray array)
    {
        if (_columns.Count > 0 && array.Length != Length)
            throw new ArgumentException($"Column {name} has {array.Length} rows, the others {Length}.", nameof(array));
        _columns.Add((new Field(name, array.Data.DataType, nullable: true), array));
        return this;
    }

    public Schema Schema => new([.. _columns.Select(c => c.Field)], metadata: null);

    public RecordBatch ToRecordBatch() => new(Schema, _columns.Select(c => c.Array), Length);

    /// <summary>One self-contained IPC stream (schema, this batch, end marker): the data of one Spark ArrowBatch.</summary>
    public byte[] ToIpcStream() => IpcStream(Schema, [ToRecordBatch()]);

    public static byte[] IpcStream(Schema schema, IReadOnlyList<RecordBatch> batches)
    {
        using var stream = new MemoryStream();
        using (var writer = new ArrowStreamWriter(stream, schema, leaveOpen: true))
        {
            writer.WriteStart();
            foreach (var batch in batches)
                writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }

        return stream.ToArray();
    }
}
