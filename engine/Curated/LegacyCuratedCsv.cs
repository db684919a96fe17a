using System.Buffers.Text;
using KpiPipeline.Contracts;
using KpiPipeline.Csv;

namespace KpiPipeline.Curated;

/// <summary>
/// Reads the curated CSV objects the previous version wrote (<c>batch=….csv</c>), so a lake made by it keeps
/// working: the same lines as the Parquet objects, without item ids and created_at of their own.
/// </summary>
internal sealed class LegacyCuratedCsv(Stream stream, string location) : IDisposable
{
    public static readonly IReadOnlyList<string> Columns =
        ["order_date", "batch_id", "line_key", "order_id", "user_id", "product_id", "category", "sale_price", "quantity", "returned"];

    private readonly CsvReader _reader = new(stream);
    private bool _headerRead;

    /// <summary>Fills <paramref name="block"/> with the next lines; false at the end.</summary>
    public async ValueTask<bool> ReadNextAsync(OrderLineBlock block, CancellationToken cancellationToken)
    {
        block.Clear();
        if (!_headerRead)
        {
            _headerRead = true;
            if (!await _reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return false;
            if (_reader.FieldCount != Columns.Count || Enumerable.Range(0, Columns.Count).Any(i => _reader.GetString(i) != Columns[i]))
                throw new InvalidDataException($"{location}: not a curated order-lines file (header must be {string.Join(',', Columns)}).");
        }
        while (!block.IsFull && await _reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_reader.IsBlank)
                continue;
            if (_reader.Problem != CsvRecordProblem.None || _reader.FieldCount != Columns.Count
                || !System.Text.Unicode.Utf8.IsValid(_reader[0]) || !Lake.LakeLayout.TryParseDate(System.Text.Encoding.UTF8.GetString(_reader[0]), out var date)
                || !Values.TryParseDecimal(_reader[7], out var price) || !CuratedValues.TryToMillionths(price, out var millionths)
                || !Utf8Parser.TryParse(_reader[8], out int quantity, out _)
                || _reader[9].Length != 1)
                throw new InvalidDataException($"{location}: line {_reader.LineNumber} is not a valid curated order line.");
            var i = block.Next();
            block.Dates[i] = CuratedValues.ToEpochDay(date);
            block.BatchId.Add(_reader[1]);
            var lineKey = _reader[2];
            block.LineKey.Add(lineKey);
            block.OrderId.Add(_reader[3]);
            if (lineKey.StartsWith("i:"u8))
                block.ItemId.Add(lineKey[2..]);
            else
                block.ItemId.AddNull();
            block.UserId.Add(_reader[4]);
            block.ProductId.Add(_reader[5]);
            block.Category.Add(_reader[6]);
            block.SalePrice[i] = millionths;
            block.Quantity[i] = quantity;
            block.Returned[i] = _reader[9][0] == (byte)'1';
            // Not kept by the previous version; midnight of the KPI date stands in.
            block.CreatedAt[i] = (long)block.Dates[i] * CuratedValues.MicrosPerDay;
        }
        return block.Count > 0;
    }

    public void Dispose() => _reader.Dispose();
}
