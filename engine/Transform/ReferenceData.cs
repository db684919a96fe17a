using KpiPipeline.Contracts;
using KpiPipeline.Curated;
using KpiPipeline.Lake;

namespace KpiPipeline.Transform;

/// <summary>Products by id (their category) and the batch's orders by id: the small side of the join.</summary>
internal static class ReferenceData
{
    public static async Task<Dictionary<string, string>> LoadCategoriesAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        var categories = new Dictionary<string, string>(StringComparer.Ordinal);
        using var file = await DatasetFile.OpenAsync(store, key, Schemas.Products, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{store.Describe(key)} is empty.");
        var id = Schemas.Products.IndexOf("id");
        var category = Schemas.Products.IndexOf("category");
        while (await file.ReadAsync(cancellationToken).ConfigureAwait(false))
            categories[file.Text(id)] = file.Text(category);
        return categories;
    }

    public static async Task<long> LoadOrdersAsync(IObjectStore store, string key, OrderTable orders, CancellationToken cancellationToken)
    {
        using var file = await DatasetFile.OpenAsync(store, key, Schemas.Orders, cancellationToken).ConfigureAwait(false);
        if (file is null)
            return 0;
        var schema = Schemas.Orders;
        int orderId = schema.IndexOf("order_id"), userId = schema.IndexOf("user_id"), createdAt = schema.IndexOf("created_at"),
            status = schema.IndexOf("status"), returnedAt = schema.IndexOf("returned_at");
        while (await file.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var created = CuratedValues.ToEpochMicros(file.Timestamp(createdAt));
            var returned = Values.IsReturnedStatus(file.Field(status)) || !file.Field(returnedAt).IsEmpty;
            orders.Set(file.Field(orderId), file.Field(userId), created, returned);
        }
        return file.BytesRead;
    }
}
