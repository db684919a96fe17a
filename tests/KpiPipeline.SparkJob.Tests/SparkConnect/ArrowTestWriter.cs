using System.Buffers.Binary;
using System.Text;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

/// <summary>
/// Builds Arrow IPC streams byte by byte, following the Arrow IPC spec (Message.fbs / Schema.fbs),
/// with knobs to produce the malformed and unsupported variants the reader must reject.
/// </summary>
internal sealed class ArrowTestWriter
{
    private readonly MemoryStream _stream = new();

    public bool LegacyFraming { get; init; }

    public short MetadataVersion { get; init; } = 4; // V5

    public ArrowTestWriter Schema(byte typeId = 5, int columns = 1, short endianness = 0, bool dictionary = false, string name = "j")
    {
        var fields = Enumerable.Range(0, columns).Select(i =>
        {
            var field = new FbTable()
                .Ref(0, new FbString(columns == 1 ? name : $"{name}{i}"))
                .Scalar(1, [1]) // nullable
                .Scalar(2, [typeId])
                .Ref(3, new FbTable()); // Utf8 / LargeUtf8 type tables have no fields
            if (dictionary)
                field.Ref(4, new FbTable().Scalar(0, Le64(0)));
            return field;
        }).ToArray();

        var schema = new FbTable().Scalar(0, Le16(endianness)).Ref(1, new FbTableVector(fields));
        return Message(1, schema, []);
    }

    /// <param name="large">LargeUtf8 (int64 offsets) instead of Utf8 (int32 offsets).</param>
    /// <param name="omitValidity">Send a 0-byte validity bitmap when there are no nulls (allowed by the spec).</param>
    public ArrowTestWriter Batch(IReadOnlyList<string?> rows, bool large = false, bool omitValidity = true, BatchTweaks? tweaks = null)
    {
        tweaks ??= new BatchTweaks();
        var nullCount = rows.Count(r => r is null);

        var validity = new byte[nullCount == 0 && omitValidity ? 0 : (rows.Count + 7) / 8];
        var offsets = new MemoryStream();
        var data = new MemoryStream();
        WriteOffset(offsets, 0, large);
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] is { } row)
            {
                if (validity.Length > 0)
                    validity[i / 8] |= (byte)(1 << (i % 8));
                var bytes = tweaks.RowBytes?.Invoke(i) ?? Encoding.UTF8.GetBytes(row);
                data.Write(bytes);
            }

            WriteOffset(offsets, data.Length, large);
        }

        // Body: each buffer padded to 8 bytes, as the spec asks.
        var body = new MemoryStream();
        var buffers = new List<(long Offset, long Length)>();
        foreach (var buffer in new[] { validity, offsets.ToArray(), data.ToArray() })
        {
            buffers.Add((body.Length, buffer.Length));
            body.Write(buffer);
            Pad(body, 8);
        }

        if (tweaks.DataBufferLength is { } dataLength)
            buffers[2] = (buffers[2].Offset, dataLength);

        var nodeBytes = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(nodeBytes, tweaks.NodeLength ?? rows.Count);
        BinaryPrimitives.WriteInt64LittleEndian(nodeBytes.AsSpan(8), tweaks.NullCount ?? nullCount);
        var bufferBytes = new byte[16 * buffers.Count];
        for (var i = 0; i < buffers.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bufferBytes.AsSpan(i * 16), buffers[i].Offset);
            BinaryPrimitives.WriteInt64LittleEndian(bufferBytes.AsSpan((i * 16) + 8), buffers[i].Length);
        }

        var batch = new FbTable()
            .Scalar(0, Le64(tweaks.BatchLength ?? rows.Count))
            .Ref(1, new FbStructVector(nodeBytes, 1))
            .Ref(2, new FbStructVector(bufferBytes, buffers.Count));
        if (tweaks.CompressionCodec is { } codec)
            batch.Ref(3, new FbTable().Scalar(0, [codec]));

        return Message(3, batch, body.ToArray());
    }

    public ArrowTestWriter EndOfStream()
    {
        if (!LegacyFraming)
            _stream.Write(Le32(-1));
        _stream.Write(Le32(0));
        return this;
    }

    public ArrowTestWriter Raw(byte[] bytes)
    {
        _stream.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _stream.ToArray();

    private ArrowTestWriter Message(byte headerType, FbTable header, byte[] body)
    {
        var message = new FbTable()
            .Scalar(0, Le16(MetadataVersion))
            .Scalar(1, [headerType])
            .Ref(2, header)
            .Scalar(3, Le64(body.Length));
        var metadata = new MemoryStream();
        metadata.Write(FlatBufferSerializer.Serialize(message));
        // The prefix (4 or 8 bytes) plus metadata ends on an 8-byte boundary so the body is aligned.
        var prefix = LegacyFraming ? 4 : 8;
        while ((prefix + metadata.Length) % 8 != 0)
            metadata.WriteByte(0);

        if (!LegacyFraming)
            _stream.Write(Le32(-1));
        _stream.Write(Le32((int)metadata.Length));
        _stream.Write(metadata.ToArray());
        _stream.Write(body);
        return this;
    }

    private static void WriteOffset(MemoryStream offsets, long value, bool large) =>
        offsets.Write(large ? Le64(value) : Le32((int)value));

    private static void Pad(MemoryStream stream, int alignment)
    {
        while (stream.Length % alignment != 0)
            stream.WriteByte(0);
    }

    private static byte[] Le16(short value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteInt16LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Le32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Le64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }
}

/// <summary>Deliberate inconsistencies for one record batch.</summary>
internal sealed record BatchTweaks
{
    public long? BatchLength { get; init; }

    public long? NodeLength { get; init; }

    public long? NullCount { get; init; }

    public long? DataBufferLength { get; init; }

    public byte? CompressionCodec { get; init; }

    public Func<int, byte[]?>? RowBytes { get; init; }
}

internal abstract class FbNode;

internal sealed class FbString(string value) : FbNode
{
    public string Value { get; } = value;
}

internal sealed class FbStructVector(byte[] bytes, int count) : FbNode
{
    public byte[] Bytes { get; } = bytes;

    public int Count { get; } = count;
}

internal sealed class FbTableVector(FbTable[] tables) : FbNode
{
    public FbTable[] Tables { get; } = tables;
}

internal sealed class FbTable : FbNode
{
    public SortedDictionary<int, object> Fields { get; } = [];

    public FbTable Scalar(int slot, byte[] littleEndianBytes)
    {
        Fields[slot] = littleEndianBytes;
        return this;
    }

    public FbTable Ref(int slot, FbNode node)
    {
        Fields[slot] = node;
        return this;
    }
}

/// <summary>
/// Lays a flatbuffer out front to back (root offset, then each table's vtable and inline fields,
/// then what it references), which is valid because references are unsigned forward offsets and
/// a vtable may sit anywhere before its table.
/// </summary>
internal static class FlatBufferSerializer
{
    public static byte[] Serialize(FbTable root)
    {
        var buffer = new List<byte>(256);
        buffer.AddRange(new byte[4]);
        var rootPosition = Write(buffer, root);
        Patch(buffer, 0, rootPosition);
        return [.. buffer];
    }

    private static int Write(List<byte> buffer, FbNode node) => node switch
    {
        FbTable table => WriteTable(buffer, table),
        FbString text => WriteString(buffer, text.Value),
        FbStructVector vector => WriteStructVector(buffer, vector),
        FbTableVector vector => WriteTableVector(buffer, vector),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    private static int WriteTable(List<byte> buffer, FbTable table)
    {
        // Inline layout: soffset (4 bytes), then fields aligned to their own size.
        var layout = new List<(int Slot, int Offset, object Value)>();
        var size = 4;
        foreach (var (slot, value) in table.Fields)
        {
            var width = value is byte[] bytes ? bytes.Length : 4;
            size = Align(size, width);
            layout.Add((slot, size, value));
            size += width;
        }

        var slots = table.Fields.Count == 0 ? 0 : table.Fields.Keys.Max() + 1;
        var vtableSize = 4 + (2 * slots);

        // vtable first, then pad so that the table starts 8-byte aligned.
        while ((buffer.Count + vtableSize) % 8 != 0)
            buffer.Add(0);
        var vtable = buffer.Count;
        AddUInt16(buffer, vtableSize);
        AddUInt16(buffer, size);
        for (var slot = 0; slot < slots; slot++)
            AddUInt16(buffer, layout.FirstOrDefault(f => f.Slot == slot).Offset);

        var tablePosition = buffer.Count;
        buffer.AddRange(new byte[size]);
        Set32(buffer, tablePosition, tablePosition - vtable);
        foreach (var (_, offset, value) in layout)
        {
            if (value is byte[] bytes)
            {
                for (var i = 0; i < bytes.Length; i++)
                    buffer[tablePosition + offset + i] = bytes[i];
            }
        }

        foreach (var (_, offset, value) in layout)
        {
            if (value is FbNode child)
                Patch(buffer, tablePosition + offset, Write(buffer, child));
        }

        return tablePosition;
    }

    private static int WriteString(List<byte> buffer, string value)
    {
        PadTo(buffer, 4);
        var position = buffer.Count;
        var bytes = Encoding.UTF8.GetBytes(value);
        AddUInt32(buffer, bytes.Length);
        buffer.AddRange(bytes);
        buffer.Add(0);
        return position;
    }

    private static int WriteStructVector(List<byte> buffer, FbStructVector vector)
    {
        // The elements (structs of int64) start 8-byte aligned, right after the 4-byte length.
        while ((buffer.Count + 4) % 8 != 0)
            buffer.Add(0);
        var position = buffer.Count;
        AddUInt32(buffer, vector.Count);
        buffer.AddRange(vector.Bytes);
        return position;
    }

    private static int WriteTableVector(List<byte> buffer, FbTableVector vector)
    {
        PadTo(buffer, 4);
        var position = buffer.Count;
        AddUInt32(buffer, vector.Tables.Length);
        var first = buffer.Count;
        buffer.AddRange(new byte[4 * vector.Tables.Length]);
        for (var i = 0; i < vector.Tables.Length; i++)
            Patch(buffer, first + (4 * i), WriteTable(buffer, vector.Tables[i]));
        return position;
    }

    private static void Patch(List<byte> buffer, int at, int target) => Set32(buffer, at, target - at);

    private static void Set32(List<byte> buffer, int at, int value)
    {
        for (var i = 0; i < 4; i++)
            buffer[at + i] = (byte)(value >> (8 * i));
    }

    private static void AddUInt16(List<byte> buffer, int value)
    {
        buffer.Add((byte)value);
        buffer.Add((byte)(value >> 8));
    }

    private static void AddUInt32(List<byte> buffer, int value)
    {
        for (var i = 0; i < 4; i++)
            buffer.Add((byte)(value >> (8 * i)));
    }

    private static void PadTo(List<byte> buffer, int alignment)
    {
        while (buffer.Count % alignment != 0)
            buffer.Add(0);
    }

    private static int Align(int value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
