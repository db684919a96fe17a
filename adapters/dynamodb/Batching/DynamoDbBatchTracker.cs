using System.Globalization;
using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using KpiPipeline.Contracts;
using static KpiPipeline.Batching.DynamoDbExpressions;

namespace KpiPipeline.Batching;

/// <summary>
/// The <c>BatchFileTracker</c> table. Every change is one atomic UpdateItem whose condition makes it
/// safe under concurrent and re-delivered events; nothing here reads an item and writes back what it
/// read. The expressions are the claim protocol documented in lambda/README.md.
/// </summary>
public sealed class DynamoDbBatchTracker(IAmazonDynamoDB dynamoDb, string tableName) : IBatchTracker
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

    public string Location => $"DynamoDB table {tableName}";

    public async Task<(bool IsNew, BatchState State)> RecordFileAsync(
        string batchId, Dataset dataset, string key, string arrivalId, string bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (keys, flag, otherFlag) = dataset switch
        {
            Dataset.Orders => (TrackerAttributes.OrdersKeys, TrackerAttributes.OrdersArrived, TrackerAttributes.OrderItemsArrived),
            Dataset.OrderItems => (TrackerAttributes.OrderItemsKeys, TrackerAttributes.OrderItemsArrived, TrackerAttributes.OrdersArrived),
            _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, "Only orders and order_items belong to a daily batch."),
        };
        var update = $"ADD #{keys} :key_set, #arrivals :arrival_set, #revision :one, #files_revision :one " +
            $"SET #{flag} = :true, #{otherFlag} = if_not_exists(#{otherFlag}, :false), {SeedSet}";
        // Items written before arrivals were kept know their keys only: for them a known key is a re-delivery.
        var condition = "(attribute_exists(#arrivals) AND NOT contains(#arrivals, :arrival)) OR " +
            $"(attribute_not_exists(#arrivals) AND (attribute_not_exists(#{keys}) OR NOT contains(#{keys}, :key)))";
        var values = SeedValues(bucket, now);
        values[":key_set"] = Set([key]);
        values[":key"] = S(key);
        values[":arrival_set"] = Set([arrivalId]);
        values[":arrival"] = S(arrivalId);
        values[":one"] = N(1);
        values[":true"] = Bool(true);
        return await UpdateOrReadAsync(batchId, update, condition, values, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One conditional update per file, in order: DynamoDB's transactions cannot touch one item twice, and a batch's
    /// files come together. A failure part-way leaves the files before it recorded, which a re-delivery finds recorded.
    /// </summary>
    public async Task<IReadOnlyList<(bool IsNew, BatchState State)>> RecordFilesAsync(
        IReadOnlyList<DailyFileArrival> files, string bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        var recorded = new List<(bool IsNew, BatchState State)>(files.Count);
        foreach (var file in files)
            recorded.Add(await RecordFileAsync(file.BatchId, file.Dataset, file.Key, file.ArrivalId, bucket, now, cancellationToken).ConfigureAwait(false));
        return recorded;
    }

    public async Task<(bool IsNew, BatchState State)> RecordExpectedFilesAsync(
        ExpectedFiles expected, string key, string bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
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

    /// <summary>Strongly consistent, so it sees a write that just finished.</summary>
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
        return response.Item is { Count: > 0 } item ? TrackerAttributes.ToState(item) : null;
    }

    public async Task<BatchState?> TryClaimAsync(BatchState state, string productsKey, string executionName, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        const string update =
            "SET #version = :version, #claimed_revision = :revision, #claimed_at = :now, " +
            "#claimed_orders_keys = #orders_keys, #claimed_order_items_keys = #order_items_keys, " +
            "#claimed_files_revision = if_not_exists(#files_revision, :zero), " +
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
                    [":zero"] = N(0),
                    [":products_key"] = S(productsKey),
                    [":true"] = Bool(true),
                    [":claimed"] = S(BatchStatus.Claimed),
                    [":execution_name"] = S(executionName),
                },
                ReturnValues = ReturnValue.ALL_NEW,
            }, cancellationToken).ConfigureAwait(false);
            return TrackerAttributes.ToState(response.Attributes);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }

    public Task<bool> TryAcknowledgeAsync(BatchState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        const string update = "SET #claimed_revision = :revision, #last_updated = :now";
        const string condition = "#revision = :revision AND #claimed_revision < :revision AND #version = :version";
        return TryUpdateAsync(state.BatchId, update, condition, new()
        {
            [":revision"] = N(state.Revision),
            [":version"] = N(state.Version),
            [":now"] = Time(now),
        }, cancellationToken);
    }

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

    public Task<bool> TrySetStatusAsync(BatchState state, string status, string reason, string? productsKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
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
    /// A scan, not an index: the table holds one item per day, so a year is a few hundred small items, and a
    /// strongly consistent scan sees every update that finished before it started (which the products release
    /// depends on).
    /// </summary>
    public IAsyncEnumerable<BatchState> ScanOpenAsync(CancellationToken cancellationToken) =>
        ScanAsync("#claimed_revision < #revision OR #started_version < #version", cancellationToken);

    public IAsyncEnumerable<BatchState> ScanAllAsync(CancellationToken cancellationToken) => ScanAsync(null, cancellationToken);

    public Task<bool> TryBeginRunAsync(string batchId, int version, DateTimeOffset now, CancellationToken cancellationToken)
    {
        const string update = "SET #step = :step, #step_version = :version, #step_at = :now, #last_updated = :now REMOVE #step_reason";
        const string condition = "#version = :version AND (attribute_not_exists(#step_version) OR #step_version < :version)";
        return TryUpdateAsync(batchId, update, condition, new()
        {
            [":step"] = S(BatchStep.Claimed.Name()),
            [":version"] = N(version),
            [":now"] = Time(now),
        }, cancellationToken);
    }

    public Task<bool> TryRecordStepAsync(string batchId, int version, BatchStep step, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var update = "SET #step = :step, #step_at = :now, #last_updated = :now" + (reason is null ? " REMOVE #step_reason" : ", #step_reason = :reason");
        const string condition = "#version = :version AND #step_version = :version AND #step <> :archived AND #step <> :failed";
        var values = new Dictionary<string, AttributeValue>
        {
            [":step"] = S(step.Name()),
            [":version"] = N(version),
            [":now"] = Time(now),
            [":archived"] = S(BatchStep.Archived.Name()),
            [":failed"] = S(BatchStep.Failed.Name()),
        };
        if (reason is not null)
            values[":reason"] = S(reason);
        return TryUpdateAsync(batchId, update, condition, values, cancellationToken);
    }

    public async Task<BatchState?> RequestRerunAsync(string batchId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        const string update = "ADD #revision :one, #files_revision :one SET #rerun_requested_at = :now, #last_arrival = :now, #last_updated = :now";
        const string condition = "attribute_exists(#BatchId)";
        try
        {
            var response = await dynamoDb.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = KeyOf(batchId),
                UpdateExpression = update,
                ConditionExpression = condition,
                ExpressionAttributeNames = NamesIn(update, condition),
                ExpressionAttributeValues = new() { [":one"] = N(1), [":now"] = Time(now) },
                ReturnValues = ReturnValue.ALL_NEW,
            }, cancellationToken).ConfigureAwait(false);
            return TrackerAttributes.ToState(response.Attributes);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }

    private async IAsyncEnumerable<BatchState> ScanAsync(string? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ScanRequest
        {
            TableName = tableName,
            ConsistentRead = true,
            FilterExpression = filter,
            ExpressionAttributeNames = filter is null ? null : NamesIn(filter),
        };
        do
        {
            var response = await dynamoDb.ScanAsync(request, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items ?? [])
            {
                // Items whose id is not a date (products, the run lease) are the table's own records, not batches.
                if (item.TryGetValue(TrackerAttributes.BatchId, out var id) && id.S is { } batchId && !batchId.StartsWith('#'))
                    yield return TrackerAttributes.ToState(item);
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
            return (true, TrackerAttributes.ToState(response.Attributes));
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

/// <summary>Attribute names of the tracker item, and the item read as a <see cref="BatchState"/>.</summary>
public static class TrackerAttributes
{
    public const string BatchId = "BatchId";
    public const string Bucket = "bucket";
    public const string ProductsKey = "products_key";
    public const string OrdersKeys = "orders_keys";
    public const string OrderItemsKeys = "order_items_keys";
    public const string Arrivals = "arrivals";
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
    public const string FilesRevision = "files_revision";
    public const string ClaimedFilesRevision = "claimed_files_revision";
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
    public const string Step = "step";
    public const string StepVersion = "step_version";
    public const string StepReason = "step_reason";
    public const string StepAt = "step_at";
    public const string RerunRequestedAt = "rerun_requested_at";

    public static BatchState ToState(IReadOnlyDictionary<string, AttributeValue> item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new BatchState(
            BatchId: String(item, BatchId) ?? throw new InvalidDataException("A tracker item has no BatchId."),
            Bucket: String(item, Bucket),
            OrdersKeys: Set(item, OrdersKeys),
            OrderItemsKeys: Set(item, OrderItemsKeys),
            ExpectedOrdersKeys: item.ContainsKey(ExpectedOrdersKeys) ? Set(item, ExpectedOrdersKeys) : null,
            ExpectedOrderItemsKeys: item.ContainsKey(ExpectedOrderItemsKeys) ? Set(item, ExpectedOrderItemsKeys) : null,
            ExpectedHash: String(item, ExpectedHash),
            Revision: Number(item, Revision),
            ClaimedRevision: Number(item, ClaimedRevision),
            Version: (int)Number(item, Version),
            StartedVersion: (int)Number(item, StartedVersion),
            ClaimedAt: Time(item, ClaimedAt),
            ClaimedOrdersKeys: Set(item, ClaimedOrdersKeys),
            ClaimedOrderItemsKeys: Set(item, ClaimedOrderItemsKeys),
            ProductsKey: String(item, ProductsKey),
            Status: String(item, Status),
            StatusReason: String(item, StatusReason),
            LastArrival: Time(item, LastArrival))
        {
            FilesRevision = Number(item, FilesRevision),
            ClaimedFilesRevision = Number(item, ClaimedFilesRevision),
            StepVersion = (int)Number(item, StepVersion),
            Step = BatchSteps.TryParse(String(item, Step), out var step) ? step : null,
            StepReason = String(item, StepReason),
            StepAt = Time(item, StepAt),
            LastUpdated = Time(item, LastUpdated),
        };
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
