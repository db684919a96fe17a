using System.Globalization;
using System.Text;

namespace KpiPipeline.Validator.Tests.Builders;

/// <summary>Small builders for the three exports, so tests state only the rows that matter.</summary>
internal static class CsvText
{
    public const string ProductsHeader = "id,sku,name,category,cost,retail_price";
    public const string OrdersHeader = "order_id,user_id,created_at,status,returned_at";
    public const string ItemsHeader = "id,order_id,product_id,sale_price,quantity,status";

    public static string Products(int first, int last) =>
        Lines(ProductsHeader, Enumerable.Range(first, last - first + 1).Select(p => Product(p)));

    public static string Product(int id, string cost = "3.50", string price = "9.99") =>
        string.Create(CultureInfo.InvariantCulture, $"{id},SKU-{id},Tee {id},Tops,{cost},{price}");

    public static string Orders(int first, int last) =>
        Lines(OrdersHeader, Enumerable.Range(first, last - first + 1).Select(o => Order(o)));

    public static string Order(int id, string created = "2024-01-15T10:00:00Z", string user = "", string status = "Complete") =>
        string.Create(CultureInfo.InvariantCulture, $"{id},{(user.Length > 0 ? user : "u" + id)},{created},{status},");

    /// <summary>Items with ids first..last, two per order (item i belongs to order (i+1)/2), products cycling 1–5.</summary>
    public static string Items(int first, int last) =>
        Lines(ItemsHeader, Enumerable.Range(first, last - first + 1).Select(i => Item(i)));

    public static string Item(int id, int? order = null, int? product = null, string price = "19.99", string quantity = "1") =>
        string.Create(CultureInfo.InvariantCulture, $"{id},{order ?? ((id + 1) / 2)},{product ?? (((id - 1) % 5) + 1)},{price},{quantity},Complete");

    public static string Lines(string header, IEnumerable<string> rows)
    {
        var text = new StringBuilder(header).Append('\n');
        foreach (var row in rows)
            text.Append(row).Append('\n');
        return text.ToString();
    }
}
