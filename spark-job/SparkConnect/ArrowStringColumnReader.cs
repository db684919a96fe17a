using System.Buffers.Binary;
using System.Text;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// Decodes an Arrow IPC stream holding exactly one Utf8 or LargeUtf8 column: the only Arrow this
/// client needs, because every query result is shaped as <c>SELECT to_json(...) AS j</c> on the
/// Spark side (Apache.Arrow does not restore here). Anything else — other types, more columns,
/// body compression, dictionaries, big-endian data — is rejected with a message saying so rather
/// than decoded wrongly.
/// </summary>
/// <remarks>
/// Stream = messages, each: [0xFFFFFFFF] int32 metadataLength, flatbuffer Message (padded),
/// body of Message.bodyLength bytes; end-of-stream = 0xFFFFFFFF 0x00000000 (or a bare 0 in the
/// pre-0.15 format without the continuation marker, also accepted).
/// </remarks>
internal static class ArrowStringColumnReader
{
    // Message.fbs
    private const int MessageVersionSlot = 0;
    private const int MessageHeaderTypeSlot = 1;
    private const int MessageHeaderSlot = 2;
    private const int MessageBodyLengthSlot = 3;
    private const byte HeaderSchema = 1;
    private const byte HeaderDictionaryBatch = 2;
    private const byte HeaderRecordBatch = 3;
    private const short MetadataVersionV4 = 3;
    private const short MetadataVersionV5 = 4;

    // Schema.fbs
    private const int SchemaEndiannessSlot = 0;
    private const int SchemaFieldsSlot = 1;
    private const int FieldNameSlot = 0;
    private const int FieldTypeTypeSlot = 2;
    private const int FieldDictionarySlot = 4;
    private const byte TypeUtf8 = 5;
    private const byte TypeLargeUtf8 = 20;

    // RecordBatch
    private const int BatchLengthSlot = 0;
    private const int BatchNodesSlot = 1;
    private const int BatchBuffersSlot = 2;
    private const int BatchCompressionSlot = 3;

    private const int Continuation = -1;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// All rows of the stream, in order (null for SQL NULL). When <paramref name="expectedRows"/> is
    /// given (ArrowBatch.row_count), a different decoded count is an error.
    /// </summary>
    public static List<string?> Read(ReadOnlySpan<byte> stream, long? expectedRows)
    {
        var rows = new List<string?>();
        var offsetWidth = 0; // 0 until the schema is read; then 4 (Utf8) or 8 (LargeUtf8)
        var position = 0;

        while (position < stream.Length)
        {
            var metadataLength = ReadPrefix(stream, ref position);
            if (metadataLength == 0)
            {
                if (position != stream.Length)
                    throw SparkConnectErrors.ArrowMalformed($"{stream.Length - position} bytes follow the end-of-stream marker");
                break;
            }

            if (metadataLength < 0 || metadataLength > stream.Length - position)
                throw SparkConnectErrors.ArrowMalformed($"message at byte {position} declares {metadataLength} metadata bytes, {stream.Length - position} remain");
            var message = FlatBufferTable.Root(stream.Slice(position, metadataLength), "Message");
            position += metadataLength;

            var version = message.GetInt16(MessageVersionSlot, 0);
            if (version is not (MetadataVersionV4 or MetadataVersionV5))
                throw SparkConnectErrors.ArrowUnsupported($"IPC metadata version {version + 1} (only V4 and V5 are read)");

            var bodyLength = message.GetInt64(MessageBodyLengthSlot, 0);
            if (bodyLength < 0 || bodyLength > stream.Length - position)
                throw SparkConnectErrors.ArrowMalformed($"message body of {bodyLength} bytes runs past the end of the {stream.Length}-byte stream");
            var body = stream.Slice(position, (int)bodyLength);
            position += (int)bodyLength;

            var headerType = message.GetByte(MessageHeaderTypeSlot, 0);
            if (!message.TryGetTable(MessageHeaderSlot, HeaderName(headerType), out var header))
                throw SparkConnectErrors.ArrowMalformed("a message has no header");

            switch (headerType)
            {
                case HeaderSchema when offsetWidth != 0:
                    throw SparkConnectErrors.ArrowMalformed("a second schema message in one stream");
                case HeaderSchema:
                    offsetWidth = ReadSchema(header);
                    break;
                case HeaderRecordBatch when offsetWidth == 0:
                    throw SparkConnectErrors.ArrowMalformed("a record batch before the schema");
                case HeaderRecordBatch:
                    ReadRecordBatch(header, body, offsetWidth, rows);
                    break;
                case HeaderDictionaryBatch:
                    throw SparkConnectErrors.ArrowUnsupported("a dictionary batch (dictionary-encoded column)");
                default:
                    throw SparkConnectErrors.ArrowUnsupported($"IPC message type {HeaderName(headerType)}");
            }
        }

        // A stream that simply stops after a whole message is tolerated (some writers omit EOS),
        // but it must at least have said what it holds.
        if (offsetWidth == 0)
            throw SparkConnectErrors.ArrowMalformed("the stream has no schema message");
        if (expectedRows is { } expected && rows.Count != expected)
            throw SparkConnectErrors.ArrowMalformed($"decoded {rows.Count} rows but the batch declares row_count={expected}");
        return rows;
    }

    private static int ReadPrefix(ReadOnlySpan<byte> stream, ref int position)
    {
        if (stream.Length - position < 4)
            throw SparkConnectErrors.ArrowMalformed($"truncated message prefix at byte {position}");
        var first = BinaryPrimitives.ReadInt32LittleEndian(stream[position..]);
        position += 4;
        if (first != Continuation)
            return first; // pre-0.15 format: the length comes first

        if (stream.Length - position < 4)
            throw SparkConnectErrors.ArrowMalformed($"truncated message length at byte {position}");
        var length = BinaryPrimitives.ReadInt32LittleEndian(stream[position..]);
        position += 4;
        return length;
    }

    /// <returns>The offset width of the column: 4 for Utf8, 8 for LargeUtf8.</returns>
    private static int ReadSchema(FlatBufferTable schema)
    {
        if (schema.GetInt16(SchemaEndiannessSlot, 0) != 0)
            throw SparkConnectErrors.ArrowUnsupported("big-endian data");

        var fieldCount = schema.GetTableVectorLength(SchemaFieldsSlot);
        if (fieldCount != 1)
            throw SparkConnectErrors.ArrowUnsupported($"{fieldCount} columns");

        var field = schema.GetTableVectorElement(SchemaFieldsSlot, 0, "Field");
        var name = field.GetString(FieldNameSlot) ?? "(unnamed)";
        if (field.Has(FieldDictionarySlot))
            throw SparkConnectErrors.ArrowUnsupported($"column '{name}' is dictionary-encoded");

        return field.GetByte(FieldTypeTypeSlot, 0) switch
        {
            TypeUtf8 => 4,
            TypeLargeUtf8 => 8,
            var other => throw SparkConnectErrors.ArrowUnsupported($"column '{name}' has Arrow type {TypeName(other)}"),
        };
    }

    private static void ReadRecordBatch(FlatBufferTable batch, ReadOnlySpan<byte> body, int offsetWidth, List<string?> rows)
    {
        if (batch.TryGetTable(BatchCompressionSlot, "BodyCompression", out var compression))
        {
            var codec = compression.GetByte(0, 0) switch { 0 => "LZ4_FRAME", 1 => "ZSTD", var c => $"codec {c}" };
            throw SparkConnectErrors.ArrowUnsupported($"{codec}-compressed record batches (set spark.sql.execution.arrow.compression.codec=none)");
        }

        var length = batch.GetInt64(BatchLengthSlot, 0);
        if (length < 0 || length > int.MaxValue)
            throw SparkConnectErrors.ArrowMalformed($"record batch length {length}");
        var rowCount = (int)length;

        var nodes = batch.GetStructVector(BatchNodesSlot, 16, out var nodeCount);
        if (nodeCount != 1)
            throw SparkConnectErrors.ArrowMalformed($"record batch has {nodeCount} field nodes for a one-column schema");
        var nodeLength = BinaryPrimitives.ReadInt64LittleEndian(nodes);
        var nullCount = BinaryPrimitives.ReadInt64LittleEndian(nodes[8..]);
        if (nodeLength != length)
            throw SparkConnectErrors.ArrowMalformed($"column length {nodeLength} differs from record batch length {length}");
        if (nullCount < 0 || nullCount > length)
            throw SparkConnectErrors.ArrowMalformed($"null count {nullCount} for {length} rows");

        var buffers = batch.GetStructVector(BatchBuffersSlot, 16, out var bufferCount);
        if (bufferCount != 3)
            throw SparkConnectErrors.ArrowMalformed($"a string column needs 3 buffers (validity, offsets, data), the batch has {bufferCount}");
        var validity = BodyBuffer(body, buffers, 0);
        var offsets = BodyBuffer(body, buffers, 1);
        var data = BodyBuffer(body, buffers, 2);

        // The validity bitmap may be omitted (0 bytes) when nothing is null.
        if (nullCount > 0 && validity.Length < ((long)rowCount + 7) / 8)
            throw SparkConnectErrors.ArrowMalformed($"validity bitmap of {validity.Length} bytes for {rowCount} rows with nulls");
        // Writers may send no offsets at all for an empty column.
        if (rowCount > 0 && offsets.Length < ((long)rowCount + 1) * offsetWidth)
            throw SparkConnectErrors.ArrowMalformed($"offsets buffer of {offsets.Length} bytes for {rowCount} rows");

        var nulls = 0L;
        rows.EnsureCapacity(rows.Count + rowCount);
        for (var i = 0; i < rowCount; i++)
        {
            if (nullCount > 0 && (validity[i >> 3] & (1 << (i & 7))) == 0)
            {
                nulls++;
                rows.Add(null);
                continue;
            }

            var start = ReadOffset(offsets, i, offsetWidth);
            var end = ReadOffset(offsets, i + 1, offsetWidth);
            if (start < 0 || end < start || end > data.Length)
                throw SparkConnectErrors.ArrowMalformed($"row {i} spans bytes {start}..{end} of a {data.Length}-byte data buffer");
            try
            {
                rows.Add(StrictUtf8.GetString(data[(int)start..(int)end]));
            }
            catch (DecoderFallbackException)
            {
                throw SparkConnectErrors.ArrowMalformed($"row {i} is not valid UTF-8");
            }
        }

        if (nulls != nullCount)
            throw SparkConnectErrors.ArrowMalformed($"the validity bitmap marks {nulls} nulls, the batch declares {nullCount}");
    }

    private static ReadOnlySpan<byte> BodyBuffer(ReadOnlySpan<byte> body, ReadOnlySpan<byte> buffers, int index)
    {
        var offset = BinaryPrimitives.ReadInt64LittleEndian(buffers[(index * 16)..]);
        var length = BinaryPrimitives.ReadInt64LittleEndian(buffers[((index * 16) + 8)..]);
        if (offset < 0 || length < 0 || offset > body.Length || length > body.Length - offset)
            throw SparkConnectErrors.ArrowMalformed($"buffer {index} ({offset}+{length}) lies outside the {body.Length}-byte body");
        return body.Slice((int)offset, (int)length);
    }

    private static long ReadOffset(ReadOnlySpan<byte> offsets, int index, int width) =>
        width == 4
            ? BinaryPrimitives.ReadInt32LittleEndian(offsets[(index * 4)..])
            : BinaryPrimitives.ReadInt64LittleEndian(offsets[(index * 8)..]);

    private static string HeaderName(byte headerType) => headerType switch
    {
        HeaderSchema => "Schema",
        HeaderDictionaryBatch => "DictionaryBatch",
        HeaderRecordBatch => "RecordBatch",
        4 => "Tensor",
        5 => "SparseTensor",
        _ => $"#{headerType}",
    };

    private static string TypeName(byte type) => type switch
    {
        0 => "NONE",
        1 => "Null",
        2 => "Int",
        3 => "FloatingPoint",
        4 => "Binary",
        6 => "Bool",
        7 => "Decimal",
        8 => "Date",
        9 => "Time",
        10 => "Timestamp",
        11 => "Interval",
        12 => "List",
        13 => "Struct",
        14 => "Union",
        15 => "FixedSizeBinary",
        16 => "FixedSizeList",
        17 => "Map",
        18 => "Duration",
        19 => "LargeBinary",
        21 => "LargeList",
        22 => "RunEndEncoded",
        23 => "BinaryView",
        24 => "Utf8View",
        _ => $"#{type}",
    };
}
