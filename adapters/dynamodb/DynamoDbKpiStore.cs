using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using Polly;
using Polly.Retry;

namespace KpiPipeline.Stores;

public sealed record DynamoDbWriteOptions
{
    /// <summary>BatchWriteItem requests in flight at once.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>Attempts per request before unprocessed items are reported as an error.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>First backoff; it doubles per attempt, with jitter, capped at <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The production KPI store: DynamoDB tables <c>DailyKPIs</c> (<c>date_key</c>) and <c>CategoryKPIs</c>
/// (<c>category</c>, <c>date_key</c>), numbers as DynamoDB numbers, with <c>computed_at</c> and <c>batch_id</c>
/// for lineage. Everything by key: a date's daily item lists the categories stored for it (<c>categories</c>),
/// so replacing a date finds its stale category rows with one consistent read, and date ranges are read by
/// Query on the <c>by_month</c> index. Written with BatchWriteItem: 25 items a request, several requests in
/// flight, unprocessed items retried with exponential backoff and jitter until written or reported.
/// </summary>
public sealed class DynamoDbKpiStore : IKpiStore
{
    private const int MaxBatchSize = 25;
    private const int MaxBatchGetSize = 100;
    private const string CategoriesAttribute = "categories";
    private const string MonthAttribute = "month";

    private readonly IAmazonDynamoDB _dynamo;
    private readonly KpiTableNames _tables;
    private readonly TimeProvider _clock;
    private readonly DynamoDbWriteOptions _options;
    private readonly ResiliencePipeline _retries;

    /// <param name="randomizer">Jitter source in [0, 1) for the backoff; tests pass a fixed one.</param>
    public DynamoDbKpiStore(IAmazonDynamoDB dynamo, KpiTableNames tables, TimeProvider clock, DynamoDbWriteOptions? options = null, Func<double>? randomizer = null)
    {
        _dynamo = dynamo;
        _tables = tables;
        _clock = clock;
        _options = options ?? new DynamoDbWriteOptions();
        var retry = new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<UnprocessedItemsException>(),
            MaxRetryAttempts = _options.MaxAttempts - 1,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.BaseDelay,
            MaxDelay = _options.MaxDelay,
        };
        if (randomizer is not null)
            retry.Randomizer = randomizer;
        _retries = new ResiliencePipelineBuilder { TimeProvider = clock }.AddRetry(retry).Build();
    }

    public string Location => $"DynamoDB tables {_tables.Daily} and {_tables.Category}";

    /// <summary>
    /// Replaces the rows of the snapshot's dates in an order that survives a crash at any point: new rows first,
    /// each date's category list widened to old ∪ new; then stale category rows deleted; then each list narrowed
    /// to what is stored (or the daily item deleted for a date that lost all lines). A re-run after a crash
    /// finds every stale row in the widened list.
    /// </summary>
    public async Task WriteAsync(KpiSnapshot snapshot, KpiLineage lineage, CancellationToken cancellationToken)
    {
        var computedAt = lineage.ComputedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        var dates = snapshot.Dates.Concat(snapshot.Daily.Select(d => d.Date)).Concat(snapshot.Category.Select(c => c.Date)).Distinct().ToList();
        var stored = await StoredCategoriesAsync(dates, cancellationToken).ConfigureAwait(false);
        var kept = snapshot.Category.GroupBy(c => c.Date).ToDictionary(g => g.Key, g => g.Select(c => c.Category).ToHashSet(StringComparer.Ordinal));
        HashSet<string> Kept(DateOnly date) => kept.TryGetValue(date, out var set) ? set : [];
        HashSet<string> Stored(DateOnly date) => stored.TryGetValue(date, out var set) ? set : [];

        var widened = snapshot.Daily.Select(d => (_tables.Daily, Put(DailyItem(d, Kept(d.Date).Union(Stored(d.Date)), computedAt, lineage.BatchId))));
        var categories = snapshot.Category.Select(c => (_tables.Category, Put(CategoryItem(c, computedAt, lineage.BatchId))));
        await WriteAllAsync(categories.Concat(widened), cancellationToken).ConfigureAwait(false);

        var staleCategories = dates.SelectMany(date => Stored(date).Except(Kept(date)).Select(category => (_tables.Category, Delete(CategoryKey(category, date)))));
        await WriteAllAsync(staleCategories, cancellationToken).ConfigureAwait(false);

        var withDaily = snapshot.Daily.Select(d => d.Date).ToHashSet();
        var narrowed = snapshot.Daily
            .Where(d => Stored(d.Date).Except(Kept(d.Date)).Any())
            .Select(d => (_tables.Daily, Put(DailyItem(d, Kept(d.Date), computedAt, lineage.BatchId))));
        var goneDates = dates.Where(date => !withDaily.Contains(date) && stored.ContainsKey(date))
            .Select(date => (_tables.Daily, Delete(DailyKey(date))));
        await WriteAllAsync(narrowed.Concat(goneDates), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The categories each stored daily item lists, read consistently, for the dates that have one.</summary>
    private async Task<Dictionary<DateOnly, HashSet<string>>> StoredCategoriesAsync(IReadOnlyList<DateOnly> dates, CancellationToken cancellationToken)
    {
        var stored = new Dictionary<DateOnly, HashSet<string>>();
        foreach (var chunk in dates.Chunk(MaxBatchGetSize))
        {
            var keys = new KeysAndAttributes
            {
                Keys = [.. chunk.Select(DailyKey)],
                ConsistentRead = true,
                ProjectionExpression = "date_key, #c",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#c"] = CategoriesAttribute },
            };
            foreach (var item in await BatchGetAsync(_tables.Daily, keys, cancellationToken).ConfigureAwait(false))
                stored[Date(item["date_key"])] = item.TryGetValue(CategoriesAttribute, out var list) ? list.SS.ToHashSet(StringComparer.Ordinal) : [];
        }
        return stored;
    }

    private async Task<List<Dictionary<string, AttributeValue>>> BatchGetAsync(string table, KeysAndAttributes keys, CancellationToken cancellationToken)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        var pending = new Dictionary<string, KeysAndAttributes> { [table] = keys };
        await _retries.ExecuteAsync(async token =>
        {
            var response = await NamingTheTableAsync(table, () => _dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = pending }, token)).ConfigureAwait(false);
            if (response.Responses?.TryGetValue(table, out var found) == true)
                items.AddRange(found);
            if (response.UnprocessedKeys is { Count: > 0 } unprocessed && unprocessed.Values.Any(k => k.Keys.Count > 0))
            {
                pending = unprocessed;
                throw new UnprocessedItemsException(unprocessed.Values.Sum(k => k.Keys.Count), unprocessed.Keys);
            }
        }, cancellationToken).ConfigureAwait(false);
        return items;
    }

    private async Task WriteAllAsync(IEnumerable<(string Table, WriteRequest Request)> writes, CancellationToken cancellationToken)
    {
        var batches = writes
            .Chunk(MaxBatchSize)
            .Select(chunk => chunk.GroupBy(item => item.Table, item => item.Request).ToDictionary(g => g.Key, g => g.ToList()));
        await Parallel.ForEachAsync(batches,
            new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken },
            async (batch, token) => await WriteBatchAsync(batch, token).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task WriteBatchAsync(Dictionary<string, List<WriteRequest>> batch, CancellationToken cancellationToken)
    {
        var pending = batch;
        try
        {
            await _retries.ExecuteAsync(async token =>
            {
                var response = await NamingTheTablesAsync(pending.Keys,
                    () => _dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, token), token).ConfigureAwait(false);
                if (response.UnprocessedItems is { Count: > 0 } unprocessed && unprocessed.Values.Any(requests => requests.Count > 0))
                {
                    pending = unprocessed;
                    throw new UnprocessedItemsException(unprocessed.Values.Sum(requests => requests.Count), unprocessed.Keys);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (UnprocessedItemsException e)
        {
            throw new KpiStoreException(
                $"DynamoDB left {e.Count} KPI item(s) unprocessed after {_options.MaxAttempts} attempts (tables {string.Join(", ", e.Tables)}); the table is throttled — raise its capacity or retry the job.", e);
        }
    }

    /// <summary>
    /// Reads stored KPIs. A range is read by Query on the month index, one month at a time; with no lower bound
    /// the whole table is wanted, and a Scan is what reading a whole table costs anyway.
    /// </summary>
    public async Task<KpiSnapshot> ReadAsync(DateOnly? from, DateOnly? to, CancellationToken cancellationToken)
    {
        var daily = (await ReadItemsAsync(_tables.Daily, from, to, cancellationToken).ConfigureAwait(false))
            .Select(item => new DailyKpi(Date(item["date_key"]), Long(item["total_orders"]), Number(item["total_revenue"]),
                Long(item["total_items_sold"]), Number(item["return_rate"]), Long(item["unique_customers"])))
            .OrderBy(d => d.Date)
            .ToList();
        var categories = (await ReadItemsAsync(_tables.Category, from, to, cancellationToken).ConfigureAwait(false))
            .Select(item => new CategoryKpi(item["category"].S, Date(item["date_key"]), Number(item["daily_revenue"]),
                Number(item["avg_order_value"]), Number(item["avg_return_rate"])))
            .OrderBy(c => c.Date).ThenBy(c => c.Category, StringComparer.Ordinal)
            .ToList();
        return new KpiSnapshot(daily, categories);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<List<Dictionary<string, AttributeValue>>> ReadItemsAsync(string table, DateOnly? from, DateOnly? to, CancellationToken cancellationToken)
    {
        if (from is not { } start)
            return await ScanAsync(table, to, cancellationToken).ConfigureAwait(false);
        // Nothing is dated after today (the validator rejects timestamps in the future), so an open end is today.
        var end = to ?? DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);
        var items = new List<Dictionary<string, AttributeValue>>();
        for (var month = new DateOnly(start.Year, start.Month, 1); month <= end; month = month.AddMonths(1))
        {
            var request = new QueryRequest
            {
                TableName = table,
                IndexName = PipelineTables.ByMonthIndex,
                KeyConditionExpression = "#m = :m AND #d BETWEEN :from AND :to",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#m"] = MonthAttribute, ["#d"] = "date_key" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":m"] = new(MonthOf(month)),
                    [":from"] = new(LakeLayout.FormatDate(start)),
                    [":to"] = new(LakeLayout.FormatDate(end)),
                },
            };
            do
            {
                var response = await NamingTheTableAsync(table, () => _dynamo.QueryAsync(request, cancellationToken)).ConfigureAwait(false);
                items.AddRange(response.Items ?? []);
                request.ExclusiveStartKey = response.LastEvaluatedKey;
            }
            while (request.ExclusiveStartKey is { Count: > 0 });
        }
        return items;
    }

    private async Task<List<Dictionary<string, AttributeValue>>> ScanAsync(string table, DateOnly? to, CancellationToken cancellationToken)
    {
        var request = new ScanRequest { TableName = table };
        if (to is { } end)
        {
            request.FilterExpression = "#d <= :to";
            request.ExpressionAttributeNames = new Dictionary<string, string> { ["#d"] = "date_key" };
            request.ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":to"] = new(LakeLayout.FormatDate(end)) };
        }
        var items = new List<Dictionary<string, AttributeValue>>();
        do
        {
            var response = await NamingTheTableAsync(table, () => _dynamo.ScanAsync(request, cancellationToken)).ConfigureAwait(false);
            items.AddRange(response.Items ?? []);
            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });
        return items;
    }

    /// <summary>
    /// A missing table (or index) as a <see cref="KpiStoreException"/> that names it: DynamoDB's own message,
    /// "Requested resource not found", does not say which.
    /// </summary>
    private static async Task<T> NamingTheTableAsync<T>(string table, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ResourceNotFoundException e)
        {
            throw MissingTable(table, e);
        }
    }

    private static KpiStoreException MissingTable(string table, ResourceNotFoundException e) => new(
        $"DynamoDB table {table} does not exist (DynamoDB said: {e.Message}); deploy the stack, set DAILY_KPIS_TABLE and CATEGORY_KPIS_TABLE to the tables' names, or create them with kpi-job init --bucket <name>", e);

    /// <summary>
    /// As <see cref="NamingTheTableAsync"/> for a request spanning several tables: DynamoDB does not say which one
    /// is missing, so each is looked up and the missing ones named.
    /// </summary>
    private async Task<T> NamingTheTablesAsync<T>(IEnumerable<string> tables, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var names = tables.Order(StringComparer.Ordinal).ToList();
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ResourceNotFoundException e) when (names.Count > 1)
        {
            var missing = new List<string>();
            foreach (var table in names)
            {
                try
                {
                    await _dynamo.DescribeTableAsync(table, cancellationToken).ConfigureAwait(false);
                }
                catch (ResourceNotFoundException)
                {
                    missing.Add(table);
                }
            }
            throw MissingTable(string.Join(" and ", missing.Count > 0 ? missing : names), e);
        }
        catch (ResourceNotFoundException e)
        {
            throw MissingTable(names[0], e);
        }
    }

    private static WriteRequest Put(Dictionary<string, AttributeValue> item) => new(new PutRequest(item));

    private static WriteRequest Delete(Dictionary<string, AttributeValue> key) => new(new DeleteRequest(key));

    private static Dictionary<string, AttributeValue> DailyKey(DateOnly date) => new() { ["date_key"] = new(LakeLayout.FormatDate(date)) };

    private static Dictionary<string, AttributeValue> CategoryKey(string category, DateOnly date) =>
        new() { ["category"] = new(category), ["date_key"] = new(LakeLayout.FormatDate(date)) };

    private static string MonthOf(DateOnly date) => date.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static Dictionary<string, AttributeValue> DailyItem(DailyKpi kpi, IEnumerable<string> categories, string computedAt, string batchId)
    {
        var item = DailyItem(kpi, computedAt, batchId);
        var list = categories.Order(StringComparer.Ordinal).ToList();
        // A string set cannot be empty: a date without categories simply has no list.
        if (list.Count > 0)
            item[CategoriesAttribute] = new AttributeValue { SS = list };
        return item;
    }

    private static Dictionary<string, AttributeValue> DailyItem(DailyKpi kpi, string computedAt, string batchId) => new()
    {
        ["date_key"] = new AttributeValue(LakeLayout.FormatDate(kpi.Date)),
        [MonthAttribute] = new AttributeValue(MonthOf(kpi.Date)),
        ["total_orders"] = Numeric(kpi.TotalOrders),
        ["total_revenue"] = Numeric(kpi.TotalRevenue),
        ["total_items_sold"] = Numeric(kpi.TotalItemsSold),
        ["return_rate"] = Numeric(kpi.ReturnRate),
        ["unique_customers"] = Numeric(kpi.UniqueCustomers),
        ["computed_at"] = new AttributeValue(computedAt),
        ["batch_id"] = new AttributeValue(batchId),
    };

    private static Dictionary<string, AttributeValue> CategoryItem(CategoryKpi kpi, string computedAt, string batchId) => new()
    {
        ["category"] = new AttributeValue(kpi.Category),
        ["date_key"] = new AttributeValue(LakeLayout.FormatDate(kpi.Date)),
        [MonthAttribute] = new AttributeValue(MonthOf(kpi.Date)),
        ["daily_revenue"] = Numeric(kpi.DailyRevenue),
        ["avg_order_value"] = Numeric(kpi.AvgOrderValue),
        ["avg_return_rate"] = Numeric(kpi.AvgReturnRate),
        ["computed_at"] = new AttributeValue(computedAt),
        ["batch_id"] = new AttributeValue(batchId),
    };

    private static AttributeValue Numeric(decimal value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static AttributeValue Numeric(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static decimal Number(AttributeValue value) => decimal.Parse(value.N, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static long Long(AttributeValue value) => long.Parse(value.N, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static DateOnly Date(AttributeValue value) => DateOnly.ParseExact(value.S, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>A batch request came back with items or keys DynamoDB did not process (throttling): retried.</summary>
internal sealed class UnprocessedItemsException(int count, IEnumerable<string> tables)
    : Exception($"{count} item(s) unprocessed in {string.Join(", ", tables)}")
{
    public int Count { get; } = count;

    public IReadOnlyList<string> Tables { get; } = tables.ToList();
}
