using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KpiPipeline.Contracts;
using KpiPipeline.Lake;

namespace KpiPipeline.Batching;

/// <summary>A shop's expected-files list that cannot be used; the message names the object and the problem.</summary>
public sealed class InvalidExpectedFilesException(string message, Exception? innerException = null)
    : Exception(message, innerException);

/// <summary>
/// The shop's <c>raw/batches/YYYY-MM-DD/_manifest.json</c>: the part files a batch is complete with.
/// <code>{"batch_id": "2024-01-01", "orders_keys": ["part-0000.csv"], "order_items_keys": ["raw/order_items/2024-01-01/part-0000.csv"]}</code>
/// Entries are full raw keys or bare file names inside the batch's folder; <c>batch_id</c> is optional
/// and, when present, must match the folder.
/// </summary>
public sealed record ExpectedFiles(string BatchId, IReadOnlySet<string> OrdersKeys, IReadOnlySet<string> OrderItemsKeys)
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

    /// <exception cref="InvalidExpectedFilesException">The list is malformed; the message starts with its location.</exception>
    public static async Task<ExpectedFiles> ReadAsync(IObjectStore store, string key, DateOnly batchDate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        await using var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        try
        {
            return await ParseAsync(stream, batchDate, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidExpectedFilesException e)
        {
            throw new InvalidExpectedFilesException($"{store.Describe(key)}: {e.Message}", e);
        }
    }

    /// <exception cref="InvalidExpectedFilesException">The list is malformed; the message says where.</exception>
    public static async Task<ExpectedFiles> ParseAsync(Stream json, DateOnly batchDate, CancellationToken cancellationToken)
    {
        var batchId = LakeLayout.FormatDate(batchDate);
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(json, default, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new InvalidExpectedFilesException($"The expected-files list is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidExpectedFilesException($"The expected-files list must be a JSON object, found {Kind(root)}.");
            if (root.TryGetProperty("batch_id", out var declared) && declared.ValueKind != JsonValueKind.Null)
            {
                if (declared.ValueKind != JsonValueKind.String)
                    throw new InvalidExpectedFilesException($"batch_id must be a string, found {Kind(declared)}.");
                if (declared.GetString() != batchId)
                    throw new InvalidExpectedFilesException($"batch_id '{declared.GetString()}' does not match the folder's batch {batchId}.");
            }
            var orders = Keys(root, "orders_keys", Dataset.Orders, batchDate);
            var orderItems = Keys(root, "order_items_keys", Dataset.OrderItems, batchDate);
            if (orders.Count == 0 || orderItems.Count == 0)
                throw new InvalidExpectedFilesException("orders_keys and order_items_keys must each list at least one file.");
            return new ExpectedFiles(batchId, orders, orderItems);
        }
    }

    private static HashSet<string> Keys(JsonElement root, string name, Dataset dataset, DateOnly batchDate)
    {
        if (!root.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null)
            throw new InvalidExpectedFilesException($"{name} is missing.");
        if (array.ValueKind != JsonValueKind.Array)
            throw new InvalidExpectedFilesException($"{name} must be an array, found {Kind(array)}.");
        var folder = LakeLayout.BatchPrefix(Stage.Raw, dataset, batchDate);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var entry in array.EnumerateArray())
        {
            var path = $"{name}[{index++}]";
            var text = entry.ValueKind == JsonValueKind.String ? entry.GetString() : null;
            if (string.IsNullOrWhiteSpace(text))
                throw new InvalidExpectedFilesException($"{path} must be a non-empty string.");
            var key = text.Contains('/', StringComparison.Ordinal) ? text : folder + text;
            var route = KeyRouter.Route(key, batchDate);
            if (route.Kind != RouteKind.DailyFile || route.Dataset != dataset || route.BatchDate != batchDate || route.Undated)
                throw new InvalidExpectedFilesException($"{path} '{text}' is not a CSV file of {folder} (a name, or a full key {folder}<name>.csv).");
            keys.Add(key);
        }
        return keys;
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Truncate(element.GetString() ?? "")}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
