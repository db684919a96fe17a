namespace KpiPipeline.Kpis;

/// <summary>The level a KPI is computed at.</summary>
public enum KpiGrain
{
    /// <summary>One row per date (<c>DailyKPIs</c>).</summary>
    Daily,
    /// <summary>One row per date and product category (<c>CategoryKPIs</c>).</summary>
    Category,
}

/// <summary>A column of the curated order lines.</summary>
public enum LineColumn
{
    OrderId,
    UserId,
    SalePrice,
    Quantity,
}

/// <summary>A value computed per order line.</summary>
public abstract record LineExpression
{
    public static LineExpression Of(LineColumn column) => new ColumnValue(column);

    public static LineExpression operator *(LineExpression left, LineExpression right) => new ProductOf(left, right);
}

public sealed record ColumnValue(LineColumn Column) : LineExpression;

public sealed record ProductOf(LineExpression Left, LineExpression Right) : LineExpression;

/// <summary>Which orders a distinct count keeps.</summary>
public enum OrderFilter
{
    All,
    /// <summary>Orders that are returned: any line of the order on that date is returned.</summary>
    ReturnedOrders,
}

/// <summary>An aggregate over the lines of a group. Engines interpret these; nothing else states a formula.</summary>
public abstract record Measure;

/// <summary>Σ of an expression over the group's lines.</summary>
public sealed record SumOf(LineExpression Value) : Measure;

/// <summary>Number of distinct values of a column in the group, optionally only among returned orders.</summary>
public sealed record DistinctCount(LineColumn Column, OrderFilter Filter = OrderFilter.All) : Measure;

/// <summary>Numerator ÷ denominator, computed exactly in decimal before rounding.</summary>
public sealed record Ratio(Measure Numerator, Measure Denominator) : Measure;

/// <summary>How a KPI's value is typed and rounded (half away from zero, in every engine).</summary>
public enum KpiValueKind
{
    /// <summary>A whole number.</summary>
    Count,
    /// <summary>Money, rounded to 2 decimal places.</summary>
    Money,
    /// <summary>A fraction in [0, 1], rounded to 4 decimal places.</summary>
    Rate,
}

/// <summary>One KPI: its stored column name, its grain and its formula.</summary>
public sealed record KpiDefinition(string Name, KpiGrain Grain, Measure Measure, KpiValueKind Kind)
{
    public int Scale => Kind switch
    {
        KpiValueKind.Money => 2,
        KpiValueKind.Rate => 4,
        _ => 0,
    };
}

/// <summary>
/// The KPI definitions: the one place the formulas are written. The in-process engine interprets them and
/// <see cref="Sql.KpiSqlRenderer"/> renders them as SQL for Spark (and SQLite, which proves both agree).
/// Before any measure, lines are de-duplicated per date by the order line key (`OrderLine.LineKey`).
/// </summary>
public static class KpiDefinitions
{
    private static readonly LineExpression Revenue = LineExpression.Of(LineColumn.SalePrice) * LineExpression.Of(LineColumn.Quantity);
    private static readonly Measure Orders = new DistinctCount(LineColumn.OrderId);
    private static readonly Measure ReturnedOrders = new DistinctCount(LineColumn.OrderId, OrderFilter.ReturnedOrders);

    public static readonly IReadOnlyList<KpiDefinition> Daily =
    [
        new("total_orders", KpiGrain.Daily, Orders, KpiValueKind.Count),
        new("total_revenue", KpiGrain.Daily, new SumOf(Revenue), KpiValueKind.Money),
        new("total_items_sold", KpiGrain.Daily, new SumOf(LineExpression.Of(LineColumn.Quantity)), KpiValueKind.Count),
        new("return_rate", KpiGrain.Daily, new Ratio(ReturnedOrders, Orders), KpiValueKind.Rate),
        new("unique_customers", KpiGrain.Daily, new DistinctCount(LineColumn.UserId), KpiValueKind.Count),
    ];

    public static readonly IReadOnlyList<KpiDefinition> Category =
    [
        new("daily_revenue", KpiGrain.Category, new SumOf(Revenue), KpiValueKind.Money),
        new("avg_order_value", KpiGrain.Category, new Ratio(new SumOf(Revenue), Orders), KpiValueKind.Money),
        new("avg_return_rate", KpiGrain.Category, new Ratio(ReturnedOrders, Orders), KpiValueKind.Rate),
    ];

    public static IReadOnlyList<KpiDefinition> For(KpiGrain grain) => grain == KpiGrain.Daily ? Daily : Category;

    /// <summary>Rounds a value the way every engine must: half away from zero at the KPI's scale.</summary>
    public static decimal Round(decimal value, KpiValueKind kind) => kind switch
    {
        KpiValueKind.Money => Math.Round(value, 2, MidpointRounding.AwayFromZero),
        KpiValueKind.Rate => Math.Round(value, 4, MidpointRounding.AwayFromZero),
        _ => value,
    };
}
