using System.Globalization;
using System.Text;

namespace KpiPipeline.Testing;

/// <summary>Builds small shop export CSVs for tests: one call per row, readable arrange blocks.</summary>
public sealed class ShopFiles
{
    public static string Products(params (string Id, string Category)[] products)
    {
        var csv = new StringBuilder("id,sku,cost,category,retail_price\n");
        foreach (var (id, category) in products)
            csv.Append(CultureInfo.InvariantCulture, $"{id},SKU-{id},1.00,{Quote(category)},10.00\n");
        return csv.ToString();
    }

    public static string Orders(params (string OrderId, string UserId, string CreatedAt, string Status)[] orders)
    {
        var csv = new StringBuilder("order_id,user_id,created_at,status\n");
        foreach (var (orderId, userId, createdAt, status) in orders)
            csv.Append(CultureInfo.InvariantCulture, $"{orderId},{userId},{createdAt},{status}\n");
        return csv.ToString();
    }

    public static string Items(params (string Id, string OrderId, string ProductId, string SalePrice, string Quantity)[] items)
    {
        var csv = new StringBuilder("id,order_id,product_id,sale_price,quantity\n");
        foreach (var (id, orderId, productId, salePrice, quantity) in items)
            csv.Append(CultureInfo.InvariantCulture, $"{id},{orderId},{productId},{salePrice},{quantity}\n");
        return csv.ToString();
    }

    public static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\"\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
