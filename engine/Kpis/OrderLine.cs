namespace KpiPipeline.Kpis;

/// <summary>
/// One joined, typed order line: the unit the KPIs are computed from, stored under
/// <c>curated/order_lines/date=…/batch=…/lines.parquet</c>.
/// </summary>
/// <param name="Date">The KPI date: the UTC date of the order's <c>created_at</c>.</param>
/// <param name="BatchId">The batch that produced the line; when the same line reaches a date from several batches, the newest batch's copy counts.</param>
/// <param name="LineKey">Identity for de-duplication: <c>i:</c> + the order item id, or <c>r:</c> + the whole source row where there is no id.</param>
/// <param name="Returned">The line's own return flag: its item's or its order's status is "Returned" or a <c>returned_at</c> is set.</param>
public sealed record OrderLine(
    DateOnly Date,
    string BatchId,
    string LineKey,
    string OrderId,
    string UserId,
    string ProductId,
    string Category,
    decimal SalePrice,
    int Quantity,
    bool Returned)
{
    public decimal Revenue => SalePrice * Quantity;

    /// <summary>The order item id, where the line has one (its key is <c>i:</c> + the id).</summary>
    public string? ItemId => LineKey.StartsWith("i:", StringComparison.Ordinal) ? LineKey[2..] : null;

    /// <summary>The order's created_at (UTC); unknown for lines read from the previous version's CSV objects.</summary>
    public DateTime? CreatedAt { get; init; }
}
