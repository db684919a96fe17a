using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KpiPipeline.Csv;

namespace KpiPipeline.Core.Tests.Csv;

public sealed class CsvReaderTests
{
    [Fact]
    public async Task ReadAsync_PlainRecords_FieldsLineNumbersAndByteCount()
    {
        const string Input = "a,b,c\n1,22,333\n";
        using var sut = CreateSut(Input);

        var records = await ReadAllAsync(sut);

        Assert.Equal([new Rec(1, 1, ["a", "b", "c"]), new Rec(2, 1, ["1", "22", "333"])], records);
        Assert.Equal(Encoding.UTF8.GetByteCount(Input), sut.BytesConsumed);
    }

    [Fact]
    public async Task ReadAsync_ByteOrderMark_SkippedAndReported()
    {
        using var sut = CreateSut([0xEF, 0xBB, 0xBF, .. "id\n1\n"u8]);

        var records = await ReadAllAsync(sut);

        Assert.True(sut.HadByteOrderMark);
        Assert.Equal(["id"], records[0].Fields);
    }

    [Fact]
    public async Task ReadAsync_OnlyAByteOrderMark_NoRecords()
    {
        using var sut = CreateSut([0xEF, 0xBB, 0xBF]);

        Assert.Empty(await ReadAllAsync(sut));
        Assert.True(sut.HadByteOrderMark);
    }

    [Fact]
    public async Task ReadAsync_EmptyInput_NoRecords()
    {
        using var sut = CreateSut("");

        Assert.Empty(await ReadAllAsync(sut));
    }

    [Fact]
    public async Task ReadAsync_CrLfEndings_CarriageReturnNotPartOfLastField()
    {
        using var sut = CreateSut("a,b\r\n1,2\r\n\"x\",\"y\"\r\n");

        var records = await ReadAllAsync(sut);

        Assert.Equal([["a", "b"], ["1", "2"], ["x", "y"]], records.Select(r => r.Fields));
    }

    [Fact]
    public async Task ReadAsync_NoFinalLineBreak_LastRecordStillRead()
    {
        using var sut = CreateSut("a,b\n1,2");

        var records = await ReadAllAsync(sut);

        Assert.Equal(["1", "2"], records[1].Fields);
    }

    [Fact]
    public async Task ReadAsync_QuotedFieldWithDelimiterQuoteAndLineBreak_UnescapedAndSpansLines()
    {
        using var sut = CreateSut("id,note\n1,\"a, \"\"quoted\"\"\nsecond line\"\n2,x\n");

        var records = await ReadAllAsync(sut);

        Assert.Equal(new Rec(2, 2, ["1", "a, \"quoted\"\nsecond line"]), records[1]);
        Assert.Equal(new Rec(4, 1, ["2", "x"]), records[2]);
    }

    [Fact]
    public async Task Indexer_TwoEscapedFieldsOfOneRecord_BothSpansStayValid()
    {
        using var sut = CreateSut("\"a\"\"1\",\"b\"\"2\"\n");
        Assert.True(await sut.ReadAsync());

        var first = sut[0];
        var second = sut[1];

        Assert.Equal("a\"1", Encoding.UTF8.GetString(first));
        Assert.Equal("b\"2", Encoding.UTF8.GetString(second));
        Assert.Equal("a\"1", sut.GetString(0));
    }

    [Fact]
    public async Task ReadAsync_QuoteNeverClosed_OnlyItsLineIsAProblemAndReadingResumes()
    {
        using var sut = CreateSut("a,b\n1,\"open\n2,x\n3,y\n");

        var records = await ReadAllAsync(sut);

        Assert.Equal(CsvRecordProblem.UnterminatedQuote, records[1].Problem);
        Assert.Equal((2L, 1, "1,\"open"), (records[1].Line, records[1].Span, records[1].Raw));
        Assert.Equal([new Rec(3, 1, ["2", "x"]), new Rec(4, 1, ["3", "y"])], records.Skip(2));
    }

    [Fact]
    public async Task ReadAsync_QuoteNotClosedWithinRecordLimit_TreatedAsUnterminated()
    {
        var text = "a\n\"" + string.Concat(Enumerable.Repeat("x\n", 200)) + "end\n";
        using var sut = CreateSut(text, new CsvReaderOptions { MaxRecordBytes = 100, BufferBytes = 64 });

        var records = await ReadAllAsync(sut);

        Assert.Equal(CsvRecordProblem.UnterminatedQuote, records[1].Problem);
        Assert.Equal(2, records[1].Line);
        Assert.Equal(new Rec(3, 1, ["x"]), records[2]);
    }

    [Fact]
    public async Task ReadAsync_TextAfterClosingQuote_ProblemButFieldsStillAligned()
    {
        using var sut = CreateSut("\"ab\"c,d\n");

        var records = await ReadAllAsync(sut);

        Assert.Equal(CsvRecordProblem.TextAfterClosingQuote, records[0].Problem);
        Assert.Equal(["ab", "d"], records[0].Fields);
    }

    [Fact]
    public async Task ReadAsync_RecordLongerThanLimit_ReportedUnsplitAndNextRecordIntact()
    {
        var text = "a,b\n" + new string('x', 5000) + ",1\n2,3\n";
        using var sut = CreateSut(text, new CsvReaderOptions { MaxRecordBytes = 1024, BufferBytes = 256 });

        var records = await ReadAllAsync(sut);

        Assert.Equal(CsvRecordProblem.RecordTooLong, records[1].Problem);
        Assert.Empty(records[1].Fields);
        Assert.Equal(new Rec(3, 1, ["2", "3"]), records[2]);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), sut.BytesConsumed);
    }

    [Fact]
    public async Task ReadAsync_BlankLines_AreBlankRecordsWithTheirLineNumbers()
    {
        using var sut = CreateSut("a\n\n1\r\n\r\n2\n");

        var records = await ReadAllAsync(sut);

        Assert.Equal([false, true, false, true, false], records.Select(r => r.Blank));
        Assert.Equal([1L, 2, 3, 4, 5], records.Select(r => r.Line));
    }

    [Theory]
    [InlineData("a,b,\n", new[] { "a", "b", "" })]
    [InlineData("a,b,", new[] { "a", "b", "" })]
    [InlineData("\"a\",b,", new[] { "a", "b", "" })]
    [InlineData("\"a\",b,\n", new[] { "a", "b", "" })]
    [InlineData(",", new[] { "", "" })]
    [InlineData("\"\",\"\"\n", new[] { "", "" })]
    [InlineData("ab\"c,d\n", new[] { "ab\"c", "d" })]
    [InlineData("\"a\r\nb\"\n", new[] { "a\r\nb" })]
    [InlineData("x\ry,z\n", new[] { "x\ry", "z" })]
    public async Task ReadAsync_EdgeCaseRecord_SplitsAsRfc4180(string input, string[] fields)
    {
        using var sut = CreateSut(input);

        var records = await ReadAllAsync(sut);

        Assert.Equal(fields, Assert.Single(records).Fields);
    }

    [Fact]
    public async Task ReadAsync_OtherDelimiter_SplitsOnIt()
    {
        using var sut = CreateSut("a;b,c\n", new CsvReaderOptions { Delimiter = (byte)';' });

        var records = await ReadAllAsync(sut);

        Assert.Equal(["a", "b,c"], records[0].Fields);
    }

    [Fact]
    public void Constructor_QuoteAsDelimiter_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateSut("", new CsvReaderOptions { Delimiter = (byte)'"' }));
    }

    [Fact]
    public async Task ReadAsync_Cancelled_Throws()
    {
        using var sut = new CsvReader(new TrickleStream("a\n"u8.ToArray(), 1));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await sut.ReadAsync(new CancellationToken(canceled: true)));
    }

    /// <summary>Unquoted records of fields 0-40 bytes long, so delimiters fall on every position of the 16-byte steps the splitter scans in.</summary>
    [Property(MaxTest = 500)]
    public Property ReadAsync_UnquotedFieldsOfAnyLength_SplitAtEveryDelimiter()
    {
        var record = Gen.Choose(0, 40).Select(length => new string((char)('a' + (length % 26)), length)).ArrayOf().Where(fields => fields.Length > 0);
        return Prop.ForAll(record.ArrayOf().Where(records => records.Length > 0).ToArbitrary(), records =>
        {
            var lines = records.Select(fields => string.Join(',', fields)).ToList();
            using var sut = CreateSut(string.Concat(lines.Select(line => line + "\n")));
            var read = ReadAllAsync(sut).AsTask().GetAwaiter().GetResult();
            return read.Select(r => r.Fields).SequenceEqual(records, ArrayComparer.Instance)
                .Label(string.Join(" | ", lines));
        });
    }

    /// <summary>
    /// Any records, written the RFC 4180 way with LF or CRLF, read back the same with their line numbers,
    /// whatever the buffer size and however the stream splits its reads.
    /// </summary>
    [Property(MaxTest = 1000)]
    public Property ReadAsync_AnyRecordsAnyChunking_RoundTrip()
    {
        var field = Gen.Elements("", "a", "é", "\"", ",", "\n", "\r\n", "x y", "1.50", "\"\"", "着物", " ", "\r")
            .ArrayOf().Select(parts => string.Concat(parts));
        var record = field.ArrayOf().Where(fields => fields.Length > 0);
        var input =
            from records in record.ArrayOf()
            from chunk in Gen.Choose(1, 7)
            from bufferBytes in Gen.Choose(16, 80)
            from crlf in Gen.Elements(true, false)
            select (records, chunk, bufferBytes, crlf);

        return Prop.ForAll(input.ToArbitrary(), t =>
        {
            var (records, chunk, bufferBytes, crlf) = t;
            var (bytes, lines) = Write(records, crlf ? "\r\n" : "\n");
            using var sut = new CsvReader(new TrickleStream(bytes, chunk), new CsvReaderOptions { BufferBytes = bufferBytes });
            var read = ReadAllAsync(sut).AsTask().GetAwaiter().GetResult();
            return read.Select(r => r.Fields).SequenceEqual(records, ArrayComparer.Instance)
                && read.Select(r => r.Line).SequenceEqual(lines)
                && sut.BytesConsumed == bytes.Length;
        });
    }

    /// <summary>
    /// Any bytes at all, with small limits: reading never throws, consumes the whole input, and the records
    /// partition its physical lines (each starts where the last ended), so every line is accounted for.
    /// </summary>
    [Property(MaxTest = 1000)]
    public Property ReadAsync_AnyBytes_NeverThrowsAndRecordsCoverEveryLineOnce()
    {
        var input =
            from bytes in Gen.Elements((byte)'"', (byte)',', (byte)'\n', (byte)'\r', (byte)'a', (byte)' ', (byte)0xC3, (byte)0xA9).ArrayOf()
            from chunk in Gen.Choose(1, 9)
            from bufferBytes in Gen.Choose(16, 64)
            from maxRecord in Gen.Choose(8, 200)
            select (bytes, chunk, bufferBytes, maxRecord);

        return Prop.ForAll(input.ToArbitrary(), t =>
        {
            var (bytes, chunk, bufferBytes, maxRecord) = t;
            using var sut = new CsvReader(new TrickleStream(bytes, chunk), new CsvReaderOptions { BufferBytes = bufferBytes, MaxRecordBytes = maxRecord });
            var records = ReadAllAsync(sut).AsTask().GetAwaiter().GetResult();
            var lines = bytes.Count(b => b == (byte)'\n') + (bytes.Length > 0 && bytes[^1] != (byte)'\n' ? 1 : 0);
            var next = 1L;
            foreach (var record in records)
            {
                if (record.Line != next)
                    return false;
                next += record.Span;
            }
            return next - 1 == lines && sut.BytesConsumed == bytes.Length;
        });
    }

    private static CsvReader CreateSut(string text, CsvReaderOptions? options = null) => CreateSut(Encoding.UTF8.GetBytes(text), options);

    private static CsvReader CreateSut(byte[] bytes, CsvReaderOptions? options = null) => new(new MemoryStream(bytes), options);

    private static async ValueTask<List<Rec>> ReadAllAsync(CsvReader reader)
    {
        var records = new List<Rec>();
        while (await reader.ReadAsync())
        {
            var fields = Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToArray();
            records.Add(new Rec(reader.LineNumber, reader.LineSpan, fields)
            {
                Problem = reader.Problem,
                Blank = reader.IsBlank,
                Raw = Encoding.UTF8.GetString(reader.RawRecord),
            });
        }
        return records;
    }

    /// <summary>RFC 4180 writer: quote when needed, and a lone empty field quoted so it is not a blank line.</summary>
    private static (byte[] Bytes, List<long> Lines) Write(string[][] records, string newline)
    {
        var text = new StringBuilder();
        var lines = new List<long>();
        long line = 1;
        foreach (var record in records)
        {
            lines.Add(line);
            var start = text.Length;
            for (var i = 0; i < record.Length; i++)
            {
                if (i > 0)
                    text.Append(',');
                var value = record[i];
                var quote = value.IndexOfAny(['"', ',', '\n', '\r']) >= 0 || (record.Length == 1 && value.Length == 0);
                text.Append(quote ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value);
            }
            line += text.ToString(start, text.Length - start).Count(c => c == '\n') + 1;
            text.Append(newline);
        }
        return (Encoding.UTF8.GetBytes(text.ToString()), lines);
    }

    private sealed record Rec(long Line, int Span, string[] Fields)
    {
        public CsvRecordProblem Problem { get; init; }

        public bool Blank { get; init; }

        public string Raw { get; init; } = "";

        public bool Equals(Rec? other) => other is not null && Line == other.Line && Span == other.Span && Fields.SequenceEqual(other.Fields);

        public override int GetHashCode() => HashCode.Combine(Line, Span, Fields.Length);
    }

    private sealed class ArrayComparer : IEqualityComparer<string[]>
    {
        public static readonly ArrayComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x!.SequenceEqual(y!);

        public int GetHashCode(string[] obj) => obj.Length;
    }

    /// <summary>Returns at most a few bytes per read, so records straddle every possible boundary.</summary>
    private sealed class TrickleStream(byte[] content, int chunk) : MemoryStream(content)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
        }
    }
}
