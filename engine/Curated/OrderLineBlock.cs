using System.Text;
using KpiPipeline.Kpis;

namespace KpiPipeline.Curated;

/// <summary>
/// Up to <see cref="Capacity"/> curated order lines as typed columns: what one Parquet row group holds, and the
/// unit the join hands to the writer and the aggregator. Text is UTF-8 bytes, the price an exact integer of
/// millionths, dates and times numbers, so a line costs no object and no string.
/// </summary>
internal sealed class OrderLineBlock(int capacity)
{
    public int Capacity { get; } = capacity;

    public int Count { get; private set; }

    public bool IsFull => Count == Capacity;

    /// <summary>The KPI date as days since 1970-01-01 (Parquet's DATE).</summary>
    public int[] Dates { get; } = new int[capacity];

    public Utf8Column BatchId { get; } = new(capacity, 10);

    public Utf8Column LineKey { get; } = new(capacity, 12);

    public Utf8Column OrderId { get; } = new(capacity, 8);

    /// <summary>Null where the source file has no item ids.</summary>
    public Utf8Column ItemId { get; } = new(capacity, 10);

    public Utf8Column UserId { get; } = new(capacity, 8);

    public Utf8Column ProductId { get; } = new(capacity, 6);

    public Utf8Column Category { get; } = new(capacity, 16);

    /// <summary>The sale price in millionths (DECIMAL(18,6)'s unscaled value).</summary>
    public long[] SalePrice { get; } = new long[capacity];

    public int[] Quantity { get; } = new int[capacity];

    public bool[] Returned { get; } = new bool[capacity];

    /// <summary>The order's created_at in microseconds since 1970-01-01T00:00Z.</summary>
    public long[] CreatedAt { get; } = new long[capacity];

    /// <summary>
    /// What the join knew of each line beyond its columns, for the aggregator: set only by the join (null
    /// otherwise), so lines read back from curated objects are keyed from their text as before.
    /// </summary>
    public JoinKeys? Keys { get; private set; }

    /// <summary>Gives the block join keys for <paramref name="categories"/>, keeping the arrays of an earlier join.</summary>
    public JoinKeys UseJoinKeys(IReadOnlyList<byte[]> categories)
    {
        Keys = _keys ??= new JoinKeys(Capacity);
        Keys.Categories = categories;
        return Keys;
    }

    private JoinKeys? _keys;

    /// <summary>Claims the next line's slot in the fixed-size columns; the caller then appends one value to every text column.</summary>
    public int Next() => Count < Capacity ? Count++ : throw new InvalidOperationException("The block is full.");

    public void Clear()
    {
        Count = 0;
        Keys = null;
        BatchId.Clear();
        LineKey.Clear();
        OrderId.Clear();
        ItemId.Clear();
        UserId.Clear();
        ProductId.Clear();
        Category.Clear();
    }

    /// <summary>Appends a line given as a record (tests, tools and the legacy format; the join fills columns directly).</summary>
    public void Add(OrderLine line)
    {
        if (!CuratedValues.TryToMillionths(line.SalePrice, out var price))
            throw new InvalidDataException($"{Lake.LakeLayout.FormatDate(line.Date)}: order {line.OrderId}, line {line.LineKey}: sale price {line.SalePrice} does not fit the curated DECIMAL(18,6) (more than 6 decimal places, or 10^12 or more).");
        var i = Next();
        Dates[i] = CuratedValues.ToEpochDay(line.Date);
        AddText(BatchId, line.BatchId);
        AddText(LineKey, line.LineKey);
        AddText(OrderId, line.OrderId);
        if (line.ItemId is { } itemId)
            AddText(ItemId, itemId);
        else
            ItemId.AddNull();
        AddText(UserId, line.UserId);
        AddText(ProductId, line.ProductId);
        AddText(Category, line.Category);
        SalePrice[i] = price;
        Quantity[i] = line.Quantity;
        Returned[i] = line.Returned;
        CreatedAt[i] = CuratedValues.ToEpochMicros(line.CreatedAt ?? line.Date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
    }

    /// <summary>
    /// Appends lines <paramref name="start"/>.. of another block, column by column in bulk, as many of
    /// <paramref name="count"/> as there is room for; returns how many.
    /// </summary>
    public int CopyRows(OrderLineBlock source, int start, int count)
    {
        var n = Math.Min(count, Capacity - Count);
        var at = Count;
        Array.Copy(source.Dates, start, Dates, at, n);
        BatchId.AddRange(source.BatchId, start, n);
        LineKey.AddRange(source.LineKey, start, n);
        OrderId.AddRange(source.OrderId, start, n);
        ItemId.AddRange(source.ItemId, start, n);
        UserId.AddRange(source.UserId, start, n);
        ProductId.AddRange(source.ProductId, start, n);
        Category.AddRange(source.Category, start, n);
        Array.Copy(source.SalePrice, start, SalePrice, at, n);
        Array.Copy(source.Quantity, start, Quantity, at, n);
        Array.Copy(source.Returned, start, Returned, at, n);
        Array.Copy(source.CreatedAt, start, CreatedAt, at, n);
        Count += n;
        return n;
    }

    /// <summary>Line <paramref name="index"/> as a record.</summary>
    public OrderLine Line(int index) => new(
        CuratedValues.FromEpochDay(Dates[index]),
        Encoding.UTF8.GetString(BatchId[index]),
        Encoding.UTF8.GetString(LineKey[index]),
        Encoding.UTF8.GetString(OrderId[index]),
        Encoding.UTF8.GetString(UserId[index]),
        Encoding.UTF8.GetString(ProductId[index]),
        Encoding.UTF8.GetString(Category[index]),
        CuratedValues.FromMillionths(SalePrice[index]),
        Quantity[index],
        Returned[index])
    {
        CreatedAt = CuratedValues.FromEpochMicros(CreatedAt[index]),
    };

    /// <summary>
    /// A joined line's ids as the aggregator keys them (<see cref="IdKey"/>), parsed by the join anyway, and its
    /// category's number in <see cref="Categories"/>.
    /// </summary>
    internal sealed class JoinKeys(int capacity)
    {
        /// <summary>In <see cref="OrderNumber"/> and <see cref="UserNumber"/>: the id is not a number, its text is its key.</summary>
        public const long Text = long.MinValue;

        public long[] OrderNumber { get; } = new long[capacity];

        public long[] UserNumber { get; } = new long[capacity];

        public int[] Category { get; } = new int[capacity];

        /// <summary>The category names (UTF-8) the numbers index.</summary>
        public IReadOnlyList<byte[]> Categories { get; set; } = [];
    }

    private static void AddText(Utf8Column column, string value)
    {
        Span<byte> small = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var buffer = max <= small.Length ? small : new byte[max];
        column.Add(buffer[..Encoding.UTF8.GetBytes(value, buffer)]);
    }
}
