using System.Buffers.Binary;
using System.Text;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// Read-only access to one FlatBuffers table inside Arrow IPC metadata, bounds-checked at every
/// step because the bytes come from the network. Layout: a table starts with an int32 soffset to
/// its vtable (vtable = table − soffset); the vtable is u16 vtable size, u16 table size, then one
/// u16 per field giving the field's offset inside the table (0 or beyond the vtable = absent).
/// References (tables, vectors, strings) are uint32 offsets relative to where they are stored.
/// </summary>
internal readonly ref struct FlatBufferTable
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _position;
    private readonly int _vtable;
    private readonly int _vtableSize;
    private readonly string _name;

    private FlatBufferTable(ReadOnlySpan<byte> buffer, int position, string name)
    {
        _buffer = buffer;
        _position = position;
        _name = name;
        Require(position, 4, "table");
        var vtable = (long)position - BinaryPrimitives.ReadInt32LittleEndian(buffer[position..]);
        if (vtable < 0 || vtable + 4 > buffer.Length)
            throw Malformed("its vtable lies outside the metadata");
        _vtable = (int)vtable;
        _vtableSize = BinaryPrimitives.ReadUInt16LittleEndian(buffer[_vtable..]);
        if (_vtableSize < 4 || _vtableSize % 2 != 0 || _vtable + _vtableSize > buffer.Length)
            throw Malformed($"vtable size {_vtableSize} is invalid");
    }

    /// <summary>The root table of a flatbuffer: a uint32 offset at byte 0.</summary>
    public static FlatBufferTable Root(ReadOnlySpan<byte> buffer, string name)
    {
        if (buffer.Length < 4)
            throw SparkConnectErrors.ArrowMalformed($"{name} metadata is only {buffer.Length} bytes");
        return new FlatBufferTable(buffer, Dereference(buffer, 0, name), name);
    }

    public bool Has(int slot) => FieldOffset(slot) != 0;

    public byte GetByte(int slot, byte defaultValue)
    {
        var at = FieldPosition(slot, 1);
        return at < 0 ? defaultValue : _buffer[at];
    }

    public short GetInt16(int slot, short defaultValue)
    {
        var at = FieldPosition(slot, 2);
        return at < 0 ? defaultValue : BinaryPrimitives.ReadInt16LittleEndian(_buffer[at..]);
    }

    public long GetInt64(int slot, long defaultValue)
    {
        var at = FieldPosition(slot, 8);
        return at < 0 ? defaultValue : BinaryPrimitives.ReadInt64LittleEndian(_buffer[at..]);
    }

    /// <summary>A sub-table (or union value) field; false when absent.</summary>
    public bool TryGetTable(int slot, string name, out FlatBufferTable table)
    {
        var at = FieldPosition(slot, 4);
        if (at < 0)
        {
            table = default;
            return false;
        }

        table = new FlatBufferTable(_buffer, Dereference(_buffer, at, name), name);
        return true;
    }

    public string? GetString(int slot)
    {
        var at = FieldPosition(slot, 4);
        if (at < 0)
            return null;
        var (start, length) = Vector(at, 1, "string");
        return Encoding.UTF8.GetString(_buffer.Slice(start, length));
    }

    /// <summary>A vector of inline structs of <paramref name="elementSize"/> bytes: their bytes, or empty when absent.</summary>
    public ReadOnlySpan<byte> GetStructVector(int slot, int elementSize, out int count)
    {
        var at = FieldPosition(slot, 4);
        if (at < 0)
        {
            count = 0;
            return [];
        }

        var (start, length) = Vector(at, elementSize, "vector");
        count = length;
        return _buffer.Slice(start, length * elementSize);
    }

    /// <summary>Number of tables in a vector-of-tables field (0 when absent).</summary>
    public int GetTableVectorLength(int slot)
    {
        var at = FieldPosition(slot, 4);
        return at < 0 ? 0 : Vector(at, 4, "vector").Length;
    }

    public FlatBufferTable GetTableVectorElement(int slot, int index, string name)
    {
        var at = FieldPosition(slot, 4);
        var (start, length) = at < 0 ? (0, 0) : Vector(at, 4, "vector");
        if ((uint)index >= (uint)length)
            throw Malformed($"element {index} of a {length}-element vector was asked for");
        var element = start + (index * 4);
        return new FlatBufferTable(_buffer, Dereference(_buffer, element, name), name);
    }

    private static int Dereference(ReadOnlySpan<byte> buffer, int at, string name)
    {
        var target = at + (long)BinaryPrimitives.ReadUInt32LittleEndian(buffer[at..]);
        if (target + 4 > buffer.Length)
            throw SparkConnectErrors.ArrowMalformed($"{name} metadata points outside itself (offset {target} of {buffer.Length})");
        return (int)target;
    }

    private int FieldOffset(int slot)
    {
        var entry = 4 + (2 * slot);
        return entry + 2 > _vtableSize ? 0 : BinaryPrimitives.ReadUInt16LittleEndian(_buffer[(_vtable + entry)..]);
    }

    private int FieldPosition(int slot, int size)
    {
        var offset = FieldOffset(slot);
        if (offset == 0)
            return -1;
        var at = _position + offset;
        Require(at, size, $"field {slot}");
        return at;
    }

    private (int Start, int Length) Vector(int referenceAt, int elementSize, string what)
    {
        var start = Dereference(_buffer, referenceAt, _name);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_buffer[start..]);
        if (start + 4 + ((long)length * elementSize) > _buffer.Length)
            throw Malformed($"a {what} of {length} elements runs past the metadata end");
        return (start + 4, (int)length);
    }

    private void Require(int at, int size, string what)
    {
        if (at < 0 || (long)at + size > _buffer.Length)
            throw Malformed($"its {what} lies outside the metadata");
    }

    private SparkConnectException Malformed(string what) => SparkConnectErrors.ArrowMalformed($"{_name} metadata: {what}");
}
