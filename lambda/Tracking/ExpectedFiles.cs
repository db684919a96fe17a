using System.Security.Cryptography;
using System.Text;
using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using KpiPipeline.Lambda.Events;
using KpiPipeline.Lambda.Routing;

namespace KpiPipeline.Lambda.Tracking;

/// <summary>
/// The shop's <c>raw/batches/YYYY-MM-DD/_manifest.json</c>: the part files a batch is complete with.
/// <code>{"batch_id": "2024-01-01", "orders_keys": ["part-0000.csv"], "order_items_keys": ["raw/order_items/2024-01-01/part-0000.csv"]}</code>
/// Entries are full raw keys or bare file names inside the batch's folder; <c>batch_id</c> is optional
/// and, when present, must match the folder.
/// </summary>
internal sealed record ExpectedFiles(string BatchId, IReadOnlySet<string> OrdersKeys, IReadOnlySet<string> OrderItemsKeys)
{
    /// <summary>Identifies the content, so a re-delivered or re-uploaded identical list changes nothing.</summary>
    public string Hash
    {
        get
        {
            var text = string.Join('\n', OrdersKeys.Order(StringComparer.Ordinal)) + "\n\n" + string.Join('\n', OrderItemsKeys.Order(StringComparer.Ordinal));
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        }
    }

    public static async Task<ExpectedFiles> ReadAsync(IObjectStore store, string key, DateOnly batchDate, CancellationToken cancellationToken)
    {
        await using var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        try
        {
            return await ParseAsync(stream, batchDate, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidEventException e)
        {
            throw new InvalidEventException($"{store.Describe(key)}: {e.Message}", e);
        }
    }

    public static async Task<ExpectedFiles> ParseAsync(Stream json, DateOnly batchDate, CancellationToken cancellationToken)
    {
        var batchId = LakeLayout.FormatDate(batchDate);
        using var document = await JsonInput.ParseAsync(json, "expected-files list", cancellationToken).ConfigureAwait(false);
        var root = JsonInput.Object(document.RootElement, "");
        var declared = JsonInput.OptionalString(root, "batch_id", "");
        if (declared is not null && declared != batchId)
            throw new InvalidEventException($"batch_id '{declared}' does not match the folder's batch {batchId}.");
        var orders = Keys(root, "orders_keys", Dataset.Orders, batchDate);
        var orderItems = Keys(root, "order_items_keys", Dataset.OrderItems, batchDate);
        if (orders.Count == 0 || orderItems.Count == 0)
            throw new InvalidEventException("orders_keys and order_items_keys must each list at least one file.");
        return new ExpectedFiles(batchId, orders, orderItems);
    }

    private static HashSet<string> Keys(System.Text.Json.JsonElement root, string name, Dataset dataset, DateOnly batchDate)
    {
        var folder = LakeLayout.BatchPrefix(Stage.Raw, dataset, batchDate);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var entry in JsonInput.RequiredArray(root, name, ""))
        {
            var path = $"{name}[{index++}]";
            var text = entry.ValueKind == System.Text.Json.JsonValueKind.String ? entry.GetString() : null;
            if (string.IsNullOrWhiteSpace(text))
                throw new InvalidEventException($"{path} must be a non-empty string.");
            var key = text.Contains('/', StringComparison.Ordinal) ? text : folder + text;
            var route = KeyRouter.Route(key, batchDate);
            if (route.Kind != RouteKind.DailyFile || route.Dataset != dataset || route.BatchDate != batchDate || route.Undated)
                throw new InvalidEventException($"{path} '{text}' is not a CSV file of {folder} (a name, or a full key {folder}<name>.csv).");
            keys.Add(key);
        }
        return keys;
    }
}
