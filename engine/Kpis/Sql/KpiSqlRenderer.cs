using System.Text;

namespace KpiPipeline.Kpis.Sql;

public enum SqlDialect
{
    /// <summary>Spark SQL: exact DECIMAL arithmetic.</summary>
    Spark,
    /// <summary>SQLite: used to prove the rendered SQL means what the in-process engine computes.</summary>
    Sqlite,
}

/// <summary>
/// Renders <see cref="KpiDefinitions"/> as one SQL query per grain over a relation of curated order lines
/// (columns <see cref="CuratedColumns"/>). Only standard aggregates, CASE and ROW_NUMBER are used, so the
/// query means the same in Spark and SQLite; reading the source (s3a:// paths, temp views) stays outside.
/// </summary>
public static class KpiSqlRenderer
{
    /// <summary>The columns the source relation must have (the curated file's header).</summary>
    public static readonly IReadOnlyList<string> CuratedColumns = CuratedOrderLines.Columns;

    public static string Render(KpiGrain grain, string sourceRelation, IReadOnlyCollection<DateOnly> dates, SqlDialect dialect)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceRelation);
        if (dates.Count == 0)
            throw new ArgumentException("At least one date is needed.", nameof(dates));
        var dateList = string.Join(", ", dates.Order().Select(d => $"'{Lake.LakeLayout.FormatDate(d)}'"));
        var keys = grain == KpiGrain.Daily ? "order_date" : "category, order_date";
        var select = grain == KpiGrain.Daily ? "order_date AS date_key" : "category, order_date AS date_key";
        var sql = new StringBuilder();
        sql.Append($"""
            WITH ranked AS (
              SELECT order_date, order_id, user_id, category, sale_price, quantity, returned,
                     ROW_NUMBER() OVER (PARTITION BY order_date, line_key ORDER BY batch_id DESC) AS copy_rank
              FROM {sourceRelation}
              WHERE order_date IN ({dateList})
            ),
            lines AS (
              SELECT order_date, order_id, user_id, category, sale_price, quantity, returned FROM ranked WHERE copy_rank = 1
            ),
            returned_orders AS (
              SELECT order_date, order_id FROM lines GROUP BY order_date, order_id HAVING MAX(returned) = 1
            ),
            marked AS (
              SELECT l.order_date, l.order_id, l.user_id, l.category, l.sale_price, l.quantity,
                     CASE WHEN r.order_id IS NULL THEN NULL ELSE l.order_id END AS returned_order_id
              FROM lines l LEFT JOIN returned_orders r ON r.order_date = l.order_date AND r.order_id = l.order_id
            )
            SELECT {select}
            """);
        foreach (var definition in KpiDefinitions.For(grain))
            sql.Append($",\n  {Rounded(definition, dialect)} AS {definition.Name}");
        sql.Append($"\nFROM marked\nGROUP BY {keys}\nORDER BY {(grain == KpiGrain.Daily ? "date_key" : "date_key, category")}");
        return sql.ToString();
    }

    private static string Rounded(KpiDefinition definition, SqlDialect dialect)
    {
        var expression = Measure(definition.Measure, dialect);
        return definition.Kind == KpiValueKind.Count ? expression : $"ROUND({expression}, {definition.Scale})";
    }

    private static string Measure(Measure measure, SqlDialect dialect) => measure switch
    {
        SumOf sum => $"SUM({Expression(sum.Value)})",
        DistinctCount { Column: LineColumn.OrderId, Filter: OrderFilter.ReturnedOrders } => "COUNT(DISTINCT returned_order_id)",
        DistinctCount { Filter: OrderFilter.All } count => $"COUNT(DISTINCT {Column(count.Column)})",
        Ratio ratio => dialect == SqlDialect.Spark
            // Wide decimals keep 18 digits of scale, so rounding afterwards never rounds twice.
            ? $"CAST({Measure(ratio.Numerator, dialect)} AS DECIMAL(38,18)) / CAST(NULLIF({Measure(ratio.Denominator, dialect)}, 0) AS DECIMAL(38,0))"
            : $"CAST({Measure(ratio.Numerator, dialect)} AS REAL) / NULLIF({Measure(ratio.Denominator, dialect)}, 0)",
        _ => throw new NotSupportedException($"No SQL rendering for {measure}."),
    };

    private static string Expression(LineExpression expression) => expression switch
    {
        ColumnValue value => Column(value.Column),
        ProductOf product => $"{Expression(product.Left)} * {Expression(product.Right)}",
        _ => throw new NotSupportedException($"No SQL rendering for {expression}."),
    };

    private static string Column(LineColumn column) => column switch
    {
        LineColumn.OrderId => "order_id",
        LineColumn.UserId => "user_id",
        LineColumn.SalePrice => "sale_price",
        LineColumn.Quantity => "quantity",
        _ => throw new ArgumentOutOfRangeException(nameof(column), column, null),
    };
}
