using Google.Protobuf;

namespace KpiPipeline.SparkJob.Tests.SparkConnect.Wire;

/// <summary>
/// A protobuf message decoded with protobuf's raw wire reader and <see cref="SparkProto"/>: every field number must be
/// one Spark declares for the message, with the wire type its declared type has. Values are kept in arrival order.
/// </summary>
public sealed class WireMessage
{
    private readonly List<(ProtoField Field, object Value)> _fields = [];

    private WireMessage(string name) => Name = name;

    public string Name { get; }

    public IEnumerable<string> FieldNames => _fields.Select(f => f.Field.Name);

    public static WireMessage Decode(string message, ReadOnlySpan<byte> bytes) => Decode(message, bytes.ToArray());

    /// <exception cref="WireFormatException">A field Spark does not declare for <paramref name="message"/>, or a wrong wire type.</exception>
    public static WireMessage Decode(string message, byte[] bytes)
    {
        var declared = SparkProto.Fields(message);
        var decoded = new WireMessage(message);
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var number = WireFormat.GetTagFieldNumber(tag);
            var wireType = WireFormat.GetTagWireType(tag);
            var field = declared.FirstOrDefault(f => f.Number == number)
                ?? throw new WireFormatException($"{message} has no field number {number} in Spark 4.x");
            var expected = WireTypeOf(field);
            if (wireType != expected)
                throw new WireFormatException($"{message}.{field.Name} (#{number}, {field.Type}) arrived as wire type {wireType}, not {expected}");
            object value = field.Type switch
            {
                "string" => input.ReadString(),
                "bytes" => input.ReadBytes().ToByteArray(),
                "int64" => input.ReadInt64(),
                "int32" => input.ReadInt32(),
                "bool" => input.ReadBool(),
                _ => Decode(field.Type, input.ReadBytes().ToByteArray()),
            };
            if (!field.Repeated && decoded._fields.Any(f => f.Field.Number == number))
                throw new WireFormatException($"{message}.{field.Name} appears twice");
            decoded._fields.Add((field, value));
        }

        return decoded;
    }

    public bool Has(string field) => _fields.Any(f => f.Field.Name == field);

    public string String(string field) => (string?)Value(field) ?? string.Empty;

    public string? StringOrNull(string field) => (string?)Value(field);

    public long Int64(string field) => (long?)Value(field) ?? 0;

    public bool Bool(string field) => (bool?)Value(field) ?? false;

    public byte[] Bytes(string field) => (byte[]?)Value(field) ?? [];

    public WireMessage? Message(string field) => (WireMessage?)Value(field);

    public IReadOnlyList<WireMessage> Messages(string field) => [.. _fields.Where(f => f.Field.Name == field).Select(f => (WireMessage)f.Value)];

    public IReadOnlyList<string> Strings(string field) => [.. _fields.Where(f => f.Field.Name == field).Select(f => (string)f.Value)];

    /// <summary>The one field of a oneof that is set, among <paramref name="members"/>; null when none is.</summary>
    public string? WhichOf(params string[] members) => _fields.Select(f => f.Field.Name).LastOrDefault(members.Contains);

    private object? Value(string field)
    {
        SparkProto.Field(Name, field); // a typo in a test is an error, not a silent "absent"
        return _fields.LastOrDefault(f => f.Field.Name == field).Value;
    }

    internal static WireFormat.WireType WireTypeOf(ProtoField field) => field.Type switch
    {
        "int64" or "int32" or "bool" => WireFormat.WireType.Varint,
        _ => WireFormat.WireType.LengthDelimited,
    };
}

/// <summary>Builds a message's bytes from <see cref="SparkProto"/> with protobuf's raw wire writer.</summary>
public sealed class WireBuilder(string message)
{
    private readonly List<(ProtoField Field, object Value)> _fields = [];

    public string Name => message;

    /// <summary>A builder with the same fields, to add more to without changing this one.</summary>
    public WireBuilder Copy()
    {
        var copy = new WireBuilder(message);
        copy._fields.AddRange(_fields);
        return copy;
    }

    public WireBuilder Set(string field, object value)
    {
        var declared = SparkProto.Field(message, field);
        var ok = declared.Type switch
        {
            "string" => value is string,
            "bytes" => value is byte[],
            "int64" => value is long,
            "int32" => value is int,
            "bool" => value is bool,
            _ => value is WireBuilder builder && builder.Name == declared.Type,
        };
        if (!ok)
            throw new ArgumentException($"{message}.{field} is {declared.Type}, not {value.GetType().Name}.", nameof(value));
        _fields.Add((declared, value));
        return this;
    }

    public byte[] ToByteArray()
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        foreach (var (field, value) in _fields)
        {
            output.WriteTag(field.Number, WireMessage.WireTypeOf(field));
            switch (value)
            {
                case string text:
                    output.WriteString(text);
                    break;
                case byte[] bytes:
                    output.WriteBytes(ByteString.CopyFrom(bytes));
                    break;
                case long number:
                    output.WriteInt64(number);
                    break;
                case int number:
                    output.WriteInt32(number);
                    break;
                case bool flag:
                    output.WriteBool(flag);
                    break;
                case WireBuilder nested:
                    output.WriteBytes(ByteString.CopyFrom(nested.ToByteArray()));
                    break;
            }
        }

        output.Flush();
        return stream.ToArray();
    }
}

public sealed class WireFormatException(string message) : Exception(message);
