using System.Globalization;
using System.Text.Json.Serialization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static KpiPipeline.Batching.DynamoDbExpressions;

namespace KpiPipeline.Lambda.Locks;

/// <summary>The acquire handler's output; on refusal, <c>held_by</c> and <c>expires_at</c> describe the current lease.</summary>
internal sealed record AcquireResult(
    [property: JsonPropertyName("acquired")] bool Acquired,
    [property: JsonPropertyName("batch_id")] string BatchId,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("expires_at")] long? ExpiresAt,
    [property: JsonPropertyName("held_by")] string? HeldBy = null);

internal sealed record ReleaseResult(
    [property: JsonPropertyName("released")] bool Released,
    [property: JsonPropertyName("batch_id")] string BatchId,
    [property: JsonPropertyName("owner")] string Owner);

/// <summary>
/// A per-batch-date lease in <c>BatchDateLocks</c>: item <c>LockId</c> = batch id with <c>owner</c> and
/// <c>expires_at</c> (epoch seconds). Expiry is decided by comparing <c>expires_at</c> with the clock in the
/// acquire's condition, never by DynamoDB TTL, whose deletion may lag by days.
/// </summary>
internal sealed class DateLock(IAmazonDynamoDB dynamoDb, string tableName, TimeProvider timeProvider)
{
    /// <summary>Free, expired, or already ours (a retried acquire renews instead of locking itself out).</summary>
    public const string AcquireCondition = "attribute_not_exists(#LockId) OR #expires_at < :now OR #owner = :owner";

    public const string ReleaseCondition = "#owner = :owner";

    public async Task<AcquireResult> AcquireAsync(string batchId, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var nowSeconds = now.ToUnixTimeSeconds();
        var expiresAt = nowSeconds + (long)Math.Ceiling(lease.TotalSeconds);
        const string update = "SET #owner = :owner, #expires_at = :expires_at, #acquired_at = :acquired_at";
        try
        {
            await dynamoDb.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = KeyOf(batchId),
                UpdateExpression = update,
                ConditionExpression = AcquireCondition,
                ExpressionAttributeNames = NamesIn(update, AcquireCondition),
                ExpressionAttributeValues = new()
                {
                    [":owner"] = S(owner),
                    [":expires_at"] = N(expiresAt),
                    [":now"] = N(nowSeconds),
                    [":acquired_at"] = Time(now),
                },
            }, cancellationToken).ConfigureAwait(false);
            return new AcquireResult(true, batchId, owner, expiresAt);
        }
        catch (ConditionalCheckFailedException)
        {
            // Read only to tell the caller whom it waits for; the decision was the condition's.
            var current = await dynamoDb.GetItemAsync(new GetItemRequest
            {
                TableName = tableName,
                Key = KeyOf(batchId),
                ConsistentRead = true,
            }, cancellationToken).ConfigureAwait(false);
            var item = current.Item;
            string? holder = item is not null && item.TryGetValue("owner", out var o) ? o.S : null;
            long? holderExpiry = item is not null && item.TryGetValue("expires_at", out var e) && e.N is { } n
                ? long.Parse(n, NumberStyles.Integer, CultureInfo.InvariantCulture)
                : null;
            return new AcquireResult(false, batchId, owner, holderExpiry, holder);
        }
    }

    /// <summary>Deletes the lease only when <paramref name="owner"/> holds it; anyone else's release changes nothing.</summary>
    public async Task<ReleaseResult> ReleaseAsync(string batchId, string owner, CancellationToken cancellationToken)
    {
        try
        {
            await dynamoDb.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = tableName,
                Key = KeyOf(batchId),
                ConditionExpression = ReleaseCondition,
                ExpressionAttributeNames = NamesIn(ReleaseCondition),
                ExpressionAttributeValues = new() { [":owner"] = S(owner) },
            }, cancellationToken).ConfigureAwait(false);
            return new ReleaseResult(true, batchId, owner);
        }
        catch (ConditionalCheckFailedException)
        {
            return new ReleaseResult(false, batchId, owner);
        }
    }

    private static Dictionary<string, AttributeValue> KeyOf(string batchId) => new() { ["LockId"] = S(batchId) };
}
