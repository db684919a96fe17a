using System.Text.Json;
using System.Text.Json.Serialization;

namespace KpiPipeline.Lake;

/// <summary>
/// What one run of the pipeline works on: every file of a daily batch that had arrived when the run was
/// claimed. Keys are raw keys; each stage finds a file's current place with <see cref="FileLocator"/>.
/// </summary>
public sealed record BatchManifest(
    [property: JsonPropertyName("batch_id")] string BatchId,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("products_key")] string ProductsKey,
    [property: JsonPropertyName("orders_keys")] IReadOnlyList<string> OrdersKeys,
    [property: JsonPropertyName("order_items_keys")] IReadOnlyList<string> OrderItemsKeys,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt)
{
    [JsonIgnore]
    public DateOnly BatchDate => LakeLayout.TryParseDate(BatchId, out var date)
        ? date
        : throw new InvalidDataException($"Batch id '{BatchId}' is not a date (YYYY-MM-DD).");

    [JsonIgnore]
    public string Key => LakeLayout.ManifestKey(BatchDate, Version);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJsonContext.Default.BatchManifest);

    public static BatchManifest Parse(ReadOnlySpan<byte> json, string location)
    {
        BatchManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.BatchManifest);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{location}: not a batch manifest: {e.Message}", e);
        }
        if (manifest is null || string.IsNullOrEmpty(manifest.BatchId) || manifest.OrdersKeys is null || manifest.OrderItemsKeys is null || string.IsNullOrEmpty(manifest.ProductsKey))
            throw new InvalidDataException($"{location}: a batch manifest needs batch_id, products_key, orders_keys and order_items_keys.");
        if (!LakeLayout.TryParseDate(manifest.BatchId, out _))
            throw new InvalidDataException($"{location}: batch_id '{manifest.BatchId}' is not a date (YYYY-MM-DD).");
        return manifest;
    }

    public static async Task<BatchManifest> ReadAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        await using var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), store.Describe(key));
    }

    public Task WriteAsync(IObjectStore store, CancellationToken cancellationToken) =>
        store.PutAsync(Key, ToJson(), cancellationToken);
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(BatchManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
