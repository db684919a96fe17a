using System.Globalization;
using Amazon.DynamoDBv2.Model;

namespace KpiPipeline.Lambda.Tracking;

/// <summary>Batch statuses as stored in the tracker's <c>status</c> attribute.</summary>
internal static class BatchStatus
{
    public const string Receiving = "RECEIVING";
    public const string WaitingForFiles = "WAITING_FOR_FILES";
    public const string WaitingForProducts = "WAITING_FOR_PRODUCTS";
    public const string Claimed = "CLAIMED";
    public const string Started = "STARTED";
    public const string Stale = "STALE";
}

/// <summary>
/// One tracker item as read (see lambda/README.md for the schema). Revision counts distinct arrivals;
/// version counts claims; a batch has unclaimed work while <see cref="ClaimedRevision"/> &lt; <see cref="Revision"/>
/// and an unstarted claim while <see cref="StartedVersion"/> &lt; <see cref="Version"/>.
/// </summary>
internal sealed record BatchState(
    string BatchId,
    string? Bucket,
    IReadOnlySet<string> OrdersKeys,
    IReadOnlySet<string> OrderItemsKeys,
    IReadOnlySet<string>? ExpectedOrdersKeys,
    IReadOnlySet<string>? ExpectedOrderItemsKeys,
    string? ExpectedHash,
    long Revision,
    long ClaimedRevision,
    int Version,
    int StartedVersion,
    DateTimeOffset? ClaimedAt,
    IReadOnlySet<string> ClaimedOrdersKeys,
    IReadOnlySet<string> ClaimedOrderItemsKeys,
    string? ProductsKey,
    string? Status,
    string? StatusReason,
    DateTimeOffset? LastArrival)
{
    public bool HasExpectedFiles => ExpectedHash is not null;

    public bool HasUnclaimedWork => ClaimedRevision < Revision;

    public bool HasUnstartedClaim => StartedVersion < Version;

    public static BatchState FromItem(IReadOnlyDictionary<string, AttributeValue> item)
    {
        return new BatchState(
            BatchId: String(item, TrackerAttributes.BatchId) ?? throw new InvalidDataException("A tracker item has no BatchId."),
            Bucket: String(item, TrackerAttributes.Bucket),
            OrdersKeys: Set(item, TrackerAttributes.OrdersKeys),
            OrderItemsKeys: Set(item, TrackerAttributes.OrderItemsKeys),
            ExpectedOrdersKeys: item.ContainsKey(TrackerAttributes.ExpectedOrdersKeys) ? Set(item, TrackerAttributes.ExpectedOrdersKeys) : null,
            ExpectedOrderItemsKeys: item.ContainsKey(TrackerAttributes.ExpectedOrderItemsKeys) ? Set(item, TrackerAttributes.ExpectedOrderItemsKeys) : null,
            ExpectedHash: String(item, TrackerAttributes.ExpectedHash),
            Revision: Number(item, TrackerAttributes.Revision),
            ClaimedRevision: Number(item, TrackerAttributes.ClaimedRevision),
            Version: (int)Number(item, TrackerAttributes.Version),
            StartedVersion: (int)Number(item, TrackerAttributes.StartedVersion),
            ClaimedAt: Time(item, TrackerAttributes.ClaimedAt),
            ClaimedOrdersKeys: Set(item, TrackerAttributes.ClaimedOrdersKeys),
            ClaimedOrderItemsKeys: Set(item, TrackerAttributes.ClaimedOrderItemsKeys),
            ProductsKey: String(item, TrackerAttributes.ProductsKey),
            Status: String(item, TrackerAttributes.Status),
            StatusReason: String(item, TrackerAttributes.StatusReason),
            LastArrival: Time(item, TrackerAttributes.LastArrival));
    }

    private static string? String(IReadOnlyDictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) ? value.S : null;

    private static long Number(IReadOnlyDictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.N is { } n ? long.Parse(n, NumberStyles.Integer, CultureInfo.InvariantCulture) : 0;

    private static HashSet<string> Set(IReadOnlyDictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.SS is { } set ? new HashSet<string>(set, StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal);

    private static DateTimeOffset? Time(IReadOnlyDictionary<string, AttributeValue> item, string name) =>
        String(item, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
}

/// <summary>Attribute names of the tracker item, in one place.</summary>
internal static class TrackerAttributes
{
    public const string BatchId = "BatchId";
    public const string Bucket = "bucket";
    public const string ProductsKey = "products_key";
    public const string OrdersKeys = "orders_keys";
    public const string OrderItemsKeys = "order_items_keys";
    public const string ProductsArrived = "products_files_arrived";
    public const string OrdersArrived = "orders_files_arrived";
    public const string OrderItemsArrived = "order_items_files_arrived";
    public const string StepFunctionTriggered = "step_function_triggered";
    public const string LastUpdated = "last_updated";
    public const string LastArrival = "last_arrival";
    public const string CreatedAt = "created_at";
    public const string Status = "status";
    public const string StatusReason = "status_reason";
    public const string Revision = "revision";
    public const string ClaimedRevision = "claimed_revision";
    public const string Version = "version";
    public const string StartedVersion = "started_version";
    public const string ClaimedAt = "claimed_at";
    public const string ClaimedOrdersKeys = "claimed_orders_keys";
    public const string ClaimedOrderItemsKeys = "claimed_order_items_keys";
    public const string ExecutionName = "execution_name";
    public const string ExpectedKey = "expected_key";
    public const string ExpectedHash = "expected_hash";
    public const string ExpectedOrdersKeys = "expected_orders_keys";
    public const string ExpectedOrderItemsKeys = "expected_order_items_keys";
}
