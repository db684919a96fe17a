namespace KpiPipeline.Contracts;

/// <summary>The canonical columns of each export and the common header aliases accepted without configuration.</summary>
public static class Schemas
{
    public static readonly DatasetSchema Products = new(Dataset.Products,
    [
        new("id", ColumnKind.Text, Required: true, ["product_id"]),
        new("sku", ColumnKind.Text, Required: true, []),
        new("cost", ColumnKind.Decimal, Required: true, []),
        new("category", ColumnKind.Text, Required: true, []),
        new("retail_price", ColumnKind.Decimal, Required: true, []),
        new("name", ColumnKind.Text, Required: false, []),
        new("brand", ColumnKind.Text, Required: false, []),
        new("department", ColumnKind.Text, Required: false, []),
    ]);

    public static readonly DatasetSchema Orders = new(Dataset.Orders,
    [
        new("order_id", ColumnKind.Text, Required: true, []),
        new("user_id", ColumnKind.Text, Required: true, ["customer_id"]),
        new("created_at", ColumnKind.Timestamp, Required: true, ["order_date"]),
        new("status", ColumnKind.Text, Required: false, []),
        new("returned_at", ColumnKind.Timestamp, Required: false, []),
    ]);

    public static readonly DatasetSchema OrderItems = new(Dataset.OrderItems,
    [
        new("order_id", ColumnKind.Text, Required: true, []),
        new("product_id", ColumnKind.Text, Required: true, []),
        new("sale_price", ColumnKind.Decimal, Required: true, ["unit_price", "price"]),
        new("id", ColumnKind.Text, Required: false, ["order_item_id"], RequiredWhenPresent: true),
        new("quantity", ColumnKind.Quantity, Required: false, []),
        new("status", ColumnKind.Text, Required: false, []),
        new("returned_at", ColumnKind.Timestamp, Required: false, []),
    ]);

    public static DatasetSchema For(Dataset dataset) => dataset switch
    {
        Dataset.Products => Products,
        Dataset.Orders => Orders,
        Dataset.OrderItems => OrderItems,
        _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, null),
    };
}
