using KpiPipeline.SparkJob.SparkConnect;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

public sealed class ArrowStringColumnReaderTests
{
    private static readonly string?[] MixedRows = ["a", null, "", "Grüße €😀", null, "last row"];

    [Fact]
    public void Read_Utf8WithNullsEmptyAndNonAscii_ReturnsRowsInOrder()
    {
        var stream = new ArrowTestWriter().Schema().Batch(MixedRows).EndOfStream().ToArray();

        Assert.Equal(MixedRows, ArrowStringColumnReader.Read(stream, MixedRows.Length));
    }

    [Fact]
    public void Read_LargeUtf8_ReturnsRows()
    {
        var stream = new ArrowTestWriter().Schema(typeId: 20).Batch(MixedRows, large: true).EndOfStream().ToArray();

        Assert.Equal(MixedRows, ArrowStringColumnReader.Read(stream, MixedRows.Length));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Read_NoNullsWithOrWithoutValidityBitmap_ReturnsRows(bool omitValidity)
    {
        string?[] rows = ["{\"k\":1}", "{\"k\":2}"];
        var stream = new ArrowTestWriter().Schema().Batch(rows, omitValidity: omitValidity).EndOfStream().ToArray();

        Assert.Equal(rows, ArrowStringColumnReader.Read(stream, 2));
    }

    [Fact]
    public void Read_SeveralBatches_ConcatenatesRows()
    {
        var stream = new ArrowTestWriter().Schema().Batch(["1", null]).Batch([]).Batch(["3"]).EndOfStream().ToArray();

        Assert.Equal(["1", null, "3"], ArrowStringColumnReader.Read(stream, 3));
    }

    [Fact]
    public void Read_ZeroRowBatch_ReturnsEmpty()
    {
        var stream = new ArrowTestWriter().Schema().Batch([]).EndOfStream().ToArray();

        Assert.Empty(ArrowStringColumnReader.Read(stream, 0));
    }

    [Fact]
    public void Read_SchemaOnly_ReturnsEmpty()
    {
        var stream = new ArrowTestWriter().Schema().EndOfStream().ToArray();

        Assert.Empty(ArrowStringColumnReader.Read(stream, expectedRows: null));
    }

    [Fact]
    public void Read_LegacyFramingWithoutContinuationMarker_ReturnsRows()
    {
        var stream = new ArrowTestWriter { LegacyFraming = true }.Schema().Batch(["x", null]).EndOfStream().ToArray();

        Assert.Equal(["x", null], ArrowStringColumnReader.Read(stream, 2));
    }

    [Fact]
    public void Read_MissingEndOfStreamMarker_IsTolerated()
    {
        var stream = new ArrowTestWriter().Schema().Batch(["x"]).ToArray();

        Assert.Equal(["x"], ArrowStringColumnReader.Read(stream, 1));
    }

    public static TheoryData<string, string?[]> JsFixtures() => new()
    {
        { nameof(ArrowJsFixtures.Utf8WithNulls), MixedRows },
        { nameof(ArrowJsFixtures.LargeUtf8WithNulls), MixedRows },
        { nameof(ArrowJsFixtures.Utf8NoNulls), ["x", "yy", "zzz"] },
        { nameof(ArrowJsFixtures.Utf8ZeroRows), [] },
        { nameof(ArrowJsFixtures.Utf8TwoBatches), ["b1-0", null, "b2-0", "b2-1", "b2-2"] },
    };

    [Theory]
    [MemberData(nameof(JsFixtures))]
    public void Read_StreamWrittenByArrowJs_ReturnsRows(string fixture, string?[] expected)
    {
        var stream = JsFixture(fixture);

        Assert.Equal(expected, ArrowStringColumnReader.Read(stream, expected.Length));
    }

    [Theory]
    [InlineData(nameof(ArrowJsFixtures.Int32Column), "column 'n' has Arrow type Int")]
    [InlineData(nameof(ArrowJsFixtures.TwoColumns), "2 columns")]
    [InlineData(nameof(ArrowJsFixtures.DictionaryColumn), "column 'd' is dictionary-encoded")]
    public void Read_UnsupportedStreamWrittenByArrowJs_ThrowsNamingTheCause(string fixture, string cause)
    {
        var ex = Assert.Throws<SparkConnectException>(() => ArrowStringColumnReader.Read(JsFixture(fixture), null));

        Assert.StartsWith("Unsupported Arrow result from Spark: " + cause, ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], string> Rejected() => new()
    {
        { "int column", new ArrowTestWriter().Schema(typeId: 2).EndOfStream().ToArray(), "column 'j' has Arrow type Int" },
        { "binary column", new ArrowTestWriter().Schema(typeId: 4).EndOfStream().ToArray(), "column 'j' has Arrow type Binary" },
        { "utf8 view", new ArrowTestWriter().Schema(typeId: 24).EndOfStream().ToArray(), "column 'j' has Arrow type Utf8View" },
        { "two columns", new ArrowTestWriter().Schema(columns: 2).EndOfStream().ToArray(), "2 columns" },
        { "no columns", new ArrowTestWriter().Schema(columns: 0).EndOfStream().ToArray(), "0 columns" },
        { "dictionary", new ArrowTestWriter().Schema(dictionary: true).EndOfStream().ToArray(), "is dictionary-encoded" },
        { "big-endian", new ArrowTestWriter().Schema(endianness: 1).EndOfStream().ToArray(), "big-endian data" },
        { "lz4", new ArrowTestWriter().Schema().Batch(["x"], tweaks: new() { CompressionCodec = 0 }).EndOfStream().ToArray(), "LZ4_FRAME-compressed record batches" },
        { "zstd", new ArrowTestWriter().Schema().Batch(["x"], tweaks: new() { CompressionCodec = 1 }).EndOfStream().ToArray(), "ZSTD-compressed record batches" },
        { "metadata V3", new ArrowTestWriter { MetadataVersion = 2 }.Schema().EndOfStream().ToArray(), "IPC metadata version 3" },
        { "batch before schema", new ArrowTestWriter().Batch(["x"]).EndOfStream().ToArray(), "a record batch before the schema" },
        { "two schemas", new ArrowTestWriter().Schema().Schema().EndOfStream().ToArray(), "a second schema message" },
        { "empty input", [], "the stream has no schema message" },
        { "eos only", new ArrowTestWriter().EndOfStream().ToArray(), "the stream has no schema message" },
        { "bytes after eos", new ArrowTestWriter().Schema().EndOfStream().Raw([1, 2, 3]).ToArray(), "3 bytes follow the end-of-stream marker" },
        { "truncated prefix", new ArrowTestWriter().Schema().Raw([0xFF, 0xFF]).ToArray(), "truncated message prefix" },
        { "null count too high", new ArrowTestWriter().Schema().Batch(["a", null], tweaks: new() { NullCount = 2 }).EndOfStream().ToArray(), "the validity bitmap marks 1 nulls, the batch declares 2" },
        { "null count above length", new ArrowTestWriter().Schema().Batch(["a"], tweaks: new() { NullCount = 5 }).EndOfStream().ToArray(), "null count 5 for 1 rows" },
        { "node length", new ArrowTestWriter().Schema().Batch(["a"], tweaks: new() { NodeLength = 2 }).EndOfStream().ToArray(), "column length 2 differs from record batch length 1" },
        { "data buffer short", new ArrowTestWriter().Schema().Batch(["abc", "def"], tweaks: new() { DataBufferLength = 4 }).EndOfStream().ToArray(), "row 1 spans bytes 3..6 of a 4-byte data buffer" },
        { "data buffer past body", new ArrowTestWriter().Schema().Batch(["abc"], tweaks: new() { DataBufferLength = 1000 }).EndOfStream().ToArray(), "buffer 2" },
        { "batch longer than buffers", new ArrowTestWriter().Schema().Batch(["a"], tweaks: new() { BatchLength = 1000, NodeLength = 1000 }).EndOfStream().ToArray(), "offsets buffer of" },
        { "invalid utf8", new ArrowTestWriter().Schema().Batch(["ok", "xx"], tweaks: new() { RowBytes = i => i == 1 ? [0xC3, 0x28] : null }).EndOfStream().ToArray(), "row 1 is not valid UTF-8" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public void Read_MalformedOrUnsupported_ThrowsSparkConnectExceptionNamingTheCause(string scenario, byte[] stream, string cause)
    {
        var ex = Assert.Throws<SparkConnectException>(() => ArrowStringColumnReader.Read(stream, null));

        Assert.True(ex.Message.Contains(cause, StringComparison.Ordinal), $"{scenario}: '{ex.Message}' does not name '{cause}'");
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Read_RowCountDiffersFromDecodedRows_Throws()
    {
        var stream = new ArrowTestWriter().Schema().Batch(["a", "b"]).EndOfStream().ToArray();

        var ex = Assert.Throws<SparkConnectException>(() => ArrowStringColumnReader.Read(stream, 3));

        Assert.Equal("Malformed Arrow IPC stream from Spark: decoded 2 rows but the batch declares row_count=3.", ex.Message);
    }

    [Fact]
    public void Read_EveryTruncation_ThrowsOnlySparkConnectException()
    {
        var stream = new ArrowTestWriter().Schema().Batch(MixedRows).EndOfStream().ToArray();

        // Cut at every byte: the reader must fail cleanly (or accept a cut exactly before EOS),
        // never with an index or overflow exception.
        for (var length = 0; length < stream.Length; length++)
        {
            var cut = stream.AsSpan(0, length).ToArray();
            AssertFailsCleanlyOrDecodes(cut, $"cut at {length}");
        }
    }

    [Fact]
    public void Read_EverySingleByteCorruption_ThrowsOnlySparkConnectException()
    {
        byte[][] sources = [new ArrowTestWriter().Schema().Batch(MixedRows).EndOfStream().ToArray(), ArrowJsFixtures.Utf8WithNulls];
        foreach (var source in sources)
        {
            for (var position = 0; position < source.Length; position++)
            {
                foreach (var value in new byte[] { 0x00, 0x01, 0x7F, 0x80, 0xFF })
                {
                    var corrupt = (byte[])source.Clone();
                    corrupt[position] = value;
                    AssertFailsCleanlyOrDecodes(corrupt, $"byte {position} = 0x{value:x2}");
                }
            }
        }
    }

    private static void AssertFailsCleanlyOrDecodes(byte[] stream, string scenario)
    {
        try
        {
            ArrowStringColumnReader.Read(stream, null);
        }
        catch (SparkConnectException)
        {
        }
        catch (Exception ex)
        {
            Assert.Fail($"{scenario}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static byte[] JsFixture(string name) =>
        (byte[])typeof(ArrowJsFixtures).GetProperty(name)!.GetValue(null)!;
}
