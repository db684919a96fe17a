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

    /// <summary>Writes curated lines as UTF-8 CSV, quoting only fields that need it.</summary>
    public sealed class Writer : IAsyncDisposable
    {
        private readonly Stream _stream;
        private readonly ArrayBufferWriter<byte> _buffer = new(1 << 16);

        public Writer(Stream stream)
        {
            _stream = stream;
            for (var i = 0; i < Columns.Count; i++)
            {
                if (i > 0)
                    Write(","u8);
                WriteField(Columns[i]);
            }
            Write("\n"u8);
        }

        public long LinesWritten { get; private set; }

        public async ValueTask WriteAsync(OrderLine line, CancellationToken cancellationToken)
        {
            WriteField(LakeLayout.FormatDate(line.Date));
            Write(","u8);
            WriteField(line.BatchId);
            Write(","u8);
            WriteField(line.LineKey);
            Write(","u8);
            WriteField(line.OrderId);
            Write(","u8);
            WriteField(line.UserId);
            Write(","u8);
            WriteField(line.ProductId);
            Write(","u8);
            WriteField(line.Category);
            Write(","u8);
            WriteField(line.SalePrice.ToString(CultureInfo.InvariantCulture));
            Write(","u8);
            WriteField(line.Quantity.ToString(CultureInfo.InvariantCulture));
            Write(line.Returned ? ",1\n"u8 : ",0\n"u8);
            LinesWritten++;
            if (_buffer.WrittenCount > 1 << 16)
                await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            await _stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            _buffer.ResetWrittenCount();
        }

        public async ValueTask DisposeAsync() => await FlushAsync(CancellationToken.None).ConfigureAwait(false);

        private void Write(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

        private void WriteField(string value)
        {
            if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
            {
                var span = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
                _buffer.Advance(Encoding.UTF8.GetBytes(value, span));
                return;
            }
            var quoted = "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            var target = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(quoted.Length));
            _buffer.Advance(Encoding.UTF8.GetBytes(quoted, target));
        }
    }
}
