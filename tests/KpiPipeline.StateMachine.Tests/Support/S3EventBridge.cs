using System.Text.Json.Nodes;
using KpiPipeline.Lake;

namespace KpiPipeline.Lambda.Local;

/// <summary>
/// Local S3 servers (fauxqs) send no bucket notifications, so this bridge plays S3's part: it lists what was
/// uploaded under <c>raw/</c> and builds the <c>ObjectCreated:Put</c> notification S3 would have sent, keys
/// URL-encoded as S3 encodes them, for <see cref="Function.HandleAsync"/>.
/// </summary>
public static class S3EventBridge
{
    /// <summary>The notification for every object under <paramref name="prefix"/>, products first (as a shop uploads).</summary>
    public static async Task<JsonObject> NotificationForAsync(
        IObjectStore store, string bucket, TimeProvider clock, CancellationToken cancellationToken, string prefix = "raw/")
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clock);
        var objects = new List<ObjectInfo>();
        await foreach (var item in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            objects.Add(item);
        var ordered = objects.OrderBy(o => o.Key == LakeLayout.ProductsKey ? 0 : 1).ThenBy(o => o.Key, StringComparer.Ordinal);
        return Notification(bucket, ordered, clock.GetUtcNow());
    }

    /// <summary>One notification with a record per object, in the given order.</summary>
    public static JsonObject Notification(string bucket, IEnumerable<ObjectInfo> objects, DateTimeOffset eventTime)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var records = new JsonArray();
        var sequence = 0;
        foreach (var item in objects)
        {
            records.Add(new JsonObject
            {
                ["eventVersion"] = "2.1",
                ["eventSource"] = "aws:s3",
                ["awsRegion"] = Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1",
                ["eventTime"] = eventTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["eventName"] = "ObjectCreated:Put",
                ["s3"] = new JsonObject
                {
                    ["s3SchemaVersion"] = "1.0",
                    ["configurationId"] = "local-bridge",
                    ["bucket"] = new JsonObject { ["name"] = bucket, ["arn"] = $"arn:aws:s3:::{bucket}" },
                    ["object"] = new JsonObject
                    {
                        // S3 form-encodes keys in notifications (a space arrives as '+').
                        ["key"] = string.Join('/', item.Key.Split('/').Select(Uri.EscapeDataString)).Replace("%20", "+", StringComparison.Ordinal),
                        ["size"] = item.Size,
                        ["sequencer"] = (++sequence).ToString("X16", System.Globalization.CultureInfo.InvariantCulture),
                    },
                },
            });
        }
        return new JsonObject { ["Records"] = records };
    }
}
