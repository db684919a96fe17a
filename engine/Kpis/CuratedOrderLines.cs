using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using KpiPipeline.Contracts;
using KpiPipeline.Csv;
using KpiPipeline.Lake;

namespace KpiPipeline.Kpis;

/// <summary>
/// The curated order-lines format: a CSV with a fixed header, readable by Spark's CSV source and by any
/// tool. The date column is called <c>order_date</c> because Spark infers a <c>date</c> column from the
/// <c>date=…</c> folder.
/// </summary>
public static class CuratedOrderLines
{
    public static readonly IReadOnlyList<string> Columns =
        ["order_date", "batch_id", "line_key", "order_id", "user_id", "product_id", "category", "sale_price", "quantity", "returned"];

    public static async IAsyncEnumerable<OrderLine> ReadAsync(IObjectStore store, string key,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        using var reader = new CsvReader(stream);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield break;
        if (reader.FieldCount != Columns.Count || Enumerable.Range(0, Columns.Count).Any(i => reader.GetString(i) != Columns[i]))
            throw new InvalidDataException($"{store.Describe(key)}: not a curated order-lines file (header must be {string.Join(',', Columns)}).");
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.IsBlank)
                continue;
            if (reader.Problem != CsvRecordProblem.None || reader.FieldCount != Columns.Count
                || !LakeLayout.TryParseDate(Encoding.UTF8.GetString(reader[0]), out var date)
                || !Values.TryParseDecimal(reader[7], out var price)
                || !Utf8Parser.TryParse(reader[8], out int quantity, out _)
                || reader[9].Length != 1)
                throw new InvalidDataException($"{store.Describe(key)}: line {reader.LineNumber} is not a valid curated order line.");
            yield return new OrderLine(
                date,
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                price,
                quantity,
                reader[9][0] == (byte)'1');
        }
    }

    /// <summary>Writes curated lines as UTF-8 CSV, quoting only fields that need it, without a string per field.</summary>
    public sealed class Writer : IAsyncDisposable
    {
        private const int FlushThreshold = 1 << 20;
        private readonly Stream _stream;
        private readonly ArrayBufferWriter<byte> _buffer = new(FlushThreshold + (1 << 16));
        private DateOnly _lastDate;
        private byte[] _lastDateBytes = [];

        public Writer(Stream stream)
        {
            _stream = stream;
            Write(Encoding.UTF8.GetBytes(string.Join(',', Columns) + "\n"));
        }

        public long LinesWritten { get; private set; }

        /// <summary>Buffers the line; only every megabyte or so does a write reach the stream.</summary>
        public ValueTask WriteAsync(OrderLine line, CancellationToken cancellationToken)
        {
            WriteDate(line.Date);
            WriteField(line.BatchId, leadingComma: true);
            WriteField(line.LineKey, leadingComma: true);
            WriteField(line.OrderId, leadingComma: true);
            WriteField(line.UserId, leadingComma: true);
            WriteField(line.ProductId, leadingComma: true);
            WriteField(line.Category, leadingComma: true);
            Write(","u8);
            var span = _buffer.GetSpan(64);
            Utf8Formatter.TryFormat(line.SalePrice, span, out var written);
            span[written++] = (byte)',';
            Utf8Formatter.TryFormat(line.Quantity, span[written..], out var quantityLength);
            written += quantityLength;
            span[written++] = (byte)',';
            span[written++] = line.Returned ? (byte)'1' : (byte)'0';
            span[written++] = (byte)'\n';
            _buffer.Advance(written);
            LinesWritten++;
            return _buffer.WrittenCount >= FlushThreshold ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;
        }

        public async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            await _stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            _buffer.ResetWrittenCount();
        }

        public async ValueTask DisposeAsync() => await FlushAsync(CancellationToken.None).ConfigureAwait(false);

        private void Write(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

        private void WriteDate(DateOnly date)
        {
            if (date != _lastDate || _lastDateBytes.Length == 0)
            {
                _lastDate = date;
                _lastDateBytes = Encoding.ASCII.GetBytes(LakeLayout.FormatDate(date));
            }
            Write(_lastDateBytes);
        }

        private void WriteField(string value, bool leadingComma)
        {
            var span = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length) + 1);
            var offset = 0;
            if (leadingComma)
                span[offset++] = (byte)',';
            if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
            {
                _buffer.Advance(offset + Encoding.UTF8.GetBytes(value, span[offset..]));
                return;
            }
            _buffer.Advance(offset);
            var quoted = "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            var target = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(quoted.Length));
            _buffer.Advance(Encoding.UTF8.GetBytes(quoted, target));
        }
    }
}
