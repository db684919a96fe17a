using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using KpiPipeline.Contracts;
using static KpiPipeline.Lambda.Tracking.Expressions;

namespace KpiPipeline.Lambda.Tracking;

/// <summary>
/// The <c>BatchFileTracker</c> table. Every change is one atomic UpdateItem whose condition makes it
/// safe under concurrent and re-delivered events; nothing here reads an item and writes back what it
/// read. The expressions are the claim protocol documented in lambda/README.md.
/// </summary>
internal sealed class BatchFileTracker(IAmazonDynamoDB dynamoDb, string tableName)
{
    /// <summary>The item that records products master data; not a date, so never taken for a batch.</summary>
    public const string ProductsItemId = "#products";

    /// <summary>Shared by every arrival: creates the item's counters on first sight, stamps the arrival.</summary>
    private const string SeedSet =
        "#bucket = :bucket, #last_updated = :now, #last_arrival = :now, #created_at = if_not_exists(#created_at, :now), " +
        "#version = if_not_exists(#version, :zero), #claimed_revision = if_not_exists(#claimed_revision, :zero), " +
        "#started_version = if_not_exists(#started_version, :zero), " +
        "#step_function_triggered = if_not_exists(#step_function_triggered, :false), " +
        "#products_files_arrived = if_not_exists(#products_files_arrived, :false), #status = if_not_exists(#status, :receiving)";

    public string TableName => tableName;

    /// <summary>
    /// Adds a daily file to its batch. The condition makes a re-delivered event change nothing, so
    /// <c>revision</c> counts distinct files.
    /// </summary>
    /// <returns>Whether the key was new, and the item after the call.</returns>
    public async Task<(bool IsNew, BatchState State)> RecordFileAsync(
        string batchId, Dataset dataset, string key, string bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (keys, flag, otherFlag) = dataset switch
        {
            Dataset.Orders => (TrackerAttributes.OrdersKeys, TrackerAttributes.OrdersArrived, TrackerAttributes.OrderItemsArrived),
            Dataset.OrderItems => (TrackerAttributes.OrderItemsKeys, TrackerAttributes.OrderItemsArrived, TrackerAttributes.OrdersArrived),
            _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, "Only orders and order_items belong to a daily batch."),
        };
        var update = $"ADD #{keys} :key_set, #revision :one SET #{flag} = :true, #{otherFlag} = if_not_exists(#{otherFlag}, :false), {SeedSet}";
        var condition = $"attribute_not_exists(#{keys}) OR NOT contains(#{keys}, :key)";
        var values = SeedValues(bucket, now);
        values[":key_set"] = Set([key]);
        values[":key"] = S(key);
        values[":one"] = N(1);
        values[":true"] = Bool(true);
        return await UpdateOrReadAsync(batchId, update, condition, values, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records the shop's expected-files list. Identical content (by hash) changes nothing; new content
    /// is a new revision, since it changes when the batch is complete.
    /// </summary>
    public async Task<(bool IsNew, BatchState State)> RecordExpectedFilesAsync(
        ExpectedFiles expected, string key, string bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var update = "ADD #revision :one SET #expected_orders_keys = :expected_orders, #expected_order_items_keys = :expected_order_items, " +
            $"#expected_key = :expected_key, #expected_hash = :hash, #orders_files_arrived = if_not_exists(#orders_files_arrived, :false), " +
            $"#order_items_files_arrived = if_not_exists(#order_items_files_arrived, :false), {SeedSet}";
        var condition = "attribute_not_exists(#expected_hash) OR #expected_hash <> :hash";
        var values = SeedValues(bucket, now);
        values[":one"] = N(1);
        values[":expected_orders"] = Set(expected.OrdersKeys);
        values[":expected_order_items"] = Set(expected.OrderItemsKeys);
        values[":expected_key"] = S(key);
        values[":hash"] = S(expected.Hash);
        return await UpdateOrReadAsync(expected.BatchId, update, condition, values, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records products master data; idempotent (the same values every time).</summary>
    public async Task RecordProductsAsync(string key, string bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        const string update = "SET #products_key = :key, #products_files_arrived = :true, #bucket = :bucket, #last_updated = :now, #last_arrival = :now";
        await dynamoDb.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = tableName,
            Key = KeyOf(ProductsItemId),
            UpdateExpression = update,
            ExpressionAttributeNames = NamesIn(update),
            ExpressionAttributeValues = new() { [":key"] = S(key), [":true"] = Bool(true), [":bucket"] = S(bucket), [":now"] = Time(now) },
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The products key when master data has arrived (strongly consistent, so it sees a write that just finished).</summary>
    public async Task<string?> GetProductsKeyAsync(CancellationToken cancellationToken)
    {
        var response = await dynamoDb.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = KeyOf(ProductsItemId),
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return response.Item is { } item && item.TryGetValue(TrackerAttributes.ProductsKey, out var key) ? key.S : null;
    }

    public async Task<BatchState?> GetAsync(string batchId, CancellationToken cancellationToken)
    {
        var response = await dynamoDb.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = KeyOf(batchId),
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? BatchState.FromItem(item) : null;
    }

    /// <summary>
    /// Claims the next version for the revision <paramref name="state"/> was read at. Exactly one caller
    /// can win a revision: the condition requires the revision unchanged, not yet claimed, and the version
    /// the caller saw. The claim snapshots the file sets, so a retried start writes the same manifest.
    /// </summary>
    /// <returns>The item as claimed, or null when another caller claimed first or a newer file arrived.</returns>
    public async Task<BatchState?> TryClaimAsync(BatchState state, string productsKey, string executionName, DateTimeOffset now, CancellationToken cancellationToken)
    {
        const string update =
            "SET #version = :version, #claimed_revision = :revision, #claimed_at = :now, " +
            "#claimed_orders_keys = #orders_keys, #claimed_order_items_keys = #order_items_keys, " +
            "#products_key = :products_key, #products_files_arrived = :true, #status = :claimed, " +
            "#execution_name = :execution_name, #last_updated = :now REMOVE #status_reason";
        const string condition = "#revision = :revision AND #claimed_revision < :revision AND #version = :previous_version";
        try
        {
            var response = await dynamoDb.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = KeyOf(state.BatchId),
                UpdateExpression = update,
                ConditionExpression = condition,
                ExpressionAttributeNames = NamesIn(update, condition),
                ExpressionAttributeValues = new()
                {
                    [":version"] = N(state.Version + 1),
                    [":previous_version"] = N(state.Version),
                    [":revision"] = N(state.Revision),
                    [":now"] = Time(now),
                    [":products_key"] = S(productsKey),
                    [":true"] = Bool(true),
                    [":claimed"] = S(BatchStatus.Claimed),
                    [":execution_name"] = S(executionName),
                },
                ReturnValues = ReturnValue.ALL_NEW,
            }, cancellationToken).ConfigureAwait(false);
            return BatchState.FromItem(response.Attributes);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Marks the revision <paramref name="state"/> was read at as covered by the latest claim, without a new
    /// version: for a revision that changed no file (a new expected-files list whose files the latest claim
    /// already had). Same guard as a claim, so it cannot hide a file that arrived in between.
    /// </summary>
    public Task<bool> TryAcknowledgeAsync(BatchState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        const string update = "SET #claimed_revision = :revision, #last_updated = :now";
        const string condition = "#revision = :revision AND #claimed_revision < :revision AND #version = :version";
        return TryUpdateAsync(state.BatchId, update, condition, new()
        {
            [":revision"] = N(state.Revision),
            [":version"] = N(state.Version),
            [":now"] = Time(now),
        }, cancellationToken);
    }

    /// <summary>
    /// Records that <paramref name="version"/> was started. The status says STARTED only while that version
    /// is still the newest claim and no newer file waits; otherwise only <c>started_version</c> moves on.
    /// </summary>
    public async Task MarkStartedAsync(string batchId, int version, DateTimeOffset now, CancellationToken cancellationToken)
    {
        const string full = "SET #started_version = :version, #step_function_triggered = :true, #status = :started, #last_updated = :now REMOVE #status_reason";
        const string fullCondition = "#started_version < :version AND #version = :version AND #claimed_revision = #revision";
        const string counterOnly = "SET #started_version = :version, #step_function_triggered = :true, #last_updated = :now";
        const string counterCondition = "#started_version < :version";
        var values = new Dictionary<string, AttributeValue>
        {
            [":version"] = N(version),
            [":true"] = Bool(true),
            [":now"] = Time(now),
        };
        if (await TryUpdateAsync(batchId, full, fullCondition, new(values) { [":started"] = S(BatchStatus.Started) }, cancellationToken).ConfigureAwait(false))
            return;
        await TryUpdateAsync(batchId, counterOnly, counterCondition, values, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reports why a batch waits (or that it went stale). Only for the revision that was evaluated and
    /// only while it is unclaimed, so a late report never overwrites a newer decision.
    /// </summary>
    public Task<bool> TrySetStatusAsync(BatchState state, string status, string reason, string? productsKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var update = "SET #status = :status, #status_reason = :reason, #last_updated = :now" +
            (productsKey is null ? "" : ", #products_key = :products_key, #products_files_arrived = :true");
        const string condition = "#revision = :revision AND #claimed_revision < :revision";
        var values = new Dictionary<string, AttributeValue>
        {
            [":status"] = S(status),
            [":reason"] = S(reason),
            [":now"] = Time(now),
            [":revision"] = N(state.Revision),
        };
        if (productsKey is not null)
        {
            values[":products_key"] = S(productsKey);
            values[":true"] = Bool(true);
        }
        return TryUpdateAsync(state.BatchId, update, condition, values, cancellationToken);
    }

    /// <summary>
    /// Batches with unclaimed files or an unstarted claim. A scan, not an index: the table holds one item
    /// per day, so a year is a few hundred small items, and a strongly consistent scan sees every update
    /// that finished before it started (which the products release depends on).
    /// </summary>
    public async IAsyncEnumerable<BatchState> ScanOpenAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const string filter = "#claimed_revision < #revision OR #started_version < #version";
        var request = new ScanRequest
        {
            TableName = tableName,
            ConsistentRead = true,
            FilterExpression = filter,
            ExpressionAttributeNames = NamesIn(filter),
        };
        do
        {
            var response = await dynamoDb.ScanAsync(request, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items ?? [])
            {
                var state = BatchState.FromItem(item);
                if (state.BatchId != ProductsItemId)
                    yield return state;
            }
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (request.ExclusiveStartKey is not null);
    }

    private async Task<(bool IsNew, BatchState State)> UpdateOrReadAsync(
        string batchId, string update, string condition, Dictionary<string, AttributeValue> values, CancellationToken cancellationToken)
    {
        try
        {
            var response = await dynamoDb.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = KeyOf(batchId),
                UpdateExpression = update,
                ConditionExpression = condition,
                ExpressionAttributeNames = NamesIn(update, condition),
                ExpressionAttributeValues = values,
                ReturnValues = ReturnValue.ALL_NEW,
            }, cancellationToken).ConfigureAwait(false);
            return (true, BatchState.FromItem(response.Attributes));
        }
        catch (ConditionalCheckFailedException)
        {
            // Already recorded. Still evaluate the batch: the first delivery may have died before it
            // claimed or started, and this delivery is how that work gets finished.
            var state = await GetAsync(batchId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Tracker item {batchId} failed its condition but does not exist.");
            return (false, state);
        }
    }

    private async Task<bool> TryUpdateAsync(string batchId, string update, string condition, Dictionary<string, AttributeValue> values, CancellationToken cancellationToken)
    {
        try
        {
            await dynamoDb.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = KeyOf(batchId),
                UpdateExpression = update,
                ConditionExpression = condition,
                ExpressionAttributeNames = NamesIn(update, condition),
                ExpressionAttributeValues = values,
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private static Dictionary<string, AttributeValue> SeedValues(string bucket, DateTimeOffset now) => new()
    {
        [":bucket"] = S(bucket),
        [":now"] = Time(now),
        [":zero"] = N(0),
        [":false"] = Bool(false),
        [":receiving"] = S(BatchStatus.Receiving),
    };

    private static Dictionary<string, AttributeValue> KeyOf(string batchId) => new() { [TrackerAttributes.BatchId] = S(batchId) };
}
