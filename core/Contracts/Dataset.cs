namespace KpiPipeline.Contracts;

/// <summary>The three shop exports the pipeline accepts.</summary>
public enum Dataset
{
    Products,
    Orders,
    OrderItems,
}

public static class DatasetNames
{
    /// <summary>The folder name under <c>raw/</c> (and every other stage) that holds the dataset.</summary>
    public static string Folder(this Dataset dataset) => dataset switch
    {
        Dataset.Products => "products",
        Dataset.Orders => "orders",
        Dataset.OrderItems => "order_items",
        _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, null),
    };

    public static bool TryParseFolder(ReadOnlySpan<char> folder, out Dataset dataset)
    {
        switch (folder)
        {
            case "products": dataset = Dataset.Products; return true;
            case "orders": dataset = Dataset.Orders; return true;
            case "order_items": dataset = Dataset.OrderItems; return true;
            default: dataset = default; return false;
        }
    }
}
