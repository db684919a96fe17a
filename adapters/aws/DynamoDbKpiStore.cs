using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.Stores;

public sealed record DynamoDbWriteOptions
{
    /// <summary>BatchWriteItem requests in flight at once.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>Attempts per request before unprocessed items are reported as an error.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>First backoff; it doubles per attempt, with full jitter, capped at <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The production KPI store: DynamoDB tables <c>DailyKPIs</c> (<c>date_key</c>) and <c>CategoryKPIs</c>
/// (<c>category</c>, <c>date_key</c>), numbers as DynamoDB numbers, with <c>computed_at</c> and <c>batch_id</c>
/// for lineage. Written with BatchWriteItem: 25 items a request, several requests in flight, unprocessed
/// items retried with exponential backoff and full jitter until written or reported.
/// </summary>
public sealed class DynamoDbKpiStore(IAmazonDynamoDB dynamo, KpiTableNames tables, TimeProvider clock, DynamoDbWriteOptions? options = null) : IKpiStore
{
    private const int MaxBatchSize = 25;
    private readonly DynamoDbWriteOptions _options = options ?? new DynamoDbWriteOptions();

    public string Location => $"DynamoDB tables {tables.Daily} and {tables.Category}";

    public async Task WriteAsync(KpiSnapshot snapshot, KpiLineage lineage, CancellationToken cancellationToken)
    {
        var computedAt = lineage.ComputedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        var stale = await StaleRowsAsync(snapshot, cancellationToken).ConfigureAwait(false);
        var requests = snapshot.Daily.Select(d => (Table: tables.Daily, Request: new WriteRequest(new PutRequest(DailyItem(d, computedAt, lineage.BatchId)))))
            .Concat(snapshot.Category.Select(c => (Table: tables.Category, Request: new WriteRequest(new PutRequest(CategoryItem(c, computedAt, lineage.BatchId))))))
            .Concat(stale)
            .Chunk(MaxBatchSize)
            .Select(chunk => chunk
                .GroupBy(item => item.Table, item => item.Request)
                .ToDictionary(g => g.Key, g => g.ToList()));
        await Parallel.ForEachAsync(requests,
            new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken },
            async (batch, token) => await WriteBatchAsync(batch, token).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>
    /// Rows stored for the snapshot's dates that the snapshot no longer has (a category, or a whole date, whose
    /// lines went away): deleted with the same batch writes, so a date's rows are replaced, not merged.
    /// </summary>
    private async Task<List<(string Table, WriteRequest Request)>> StaleRowsAsync(KpiSnapshot snapshot, CancellationToken cancellationToken)
    {
        var stale = new List<(string, WriteRequest)>();
        if (snapshot.Dates.Count == 0)
            return stale;
        var keptDays = snapshot.Daily.Select(d => LakeLayout.FormatDate(d.Date)).ToHashSet(StringComparer.Ordinal);
        var keptCategories = snapshot.Category.Select(c => (c.Category, LakeLayout.FormatDate(c.Date))).ToHashSet();
        foreach (var chunk in snapshot.Dates.Distinct().Chunk(50))
        {
            foreach (var item in await ScanDatesAsync(tables.Daily, chunk, cancellationToken).ConfigureAwait(false))
            {
                if (!keptDays.Contains(item["date_key"].S))
                    stale.Add((tables.Daily, new WriteRequest(new DeleteRequest(new() { ["date_key"] = item["date_key"] }))));
            }
            foreach (var item in await ScanDatesAsync(tables.Category, chunk, cancellationToken).ConfigureAwait(false))
            {
                if (!keptCategories.Contains((item["category"].S, item["date_key"].S)))
                    stale.Add((tables.Category, new WriteRequest(new DeleteRequest(new() { ["category"] = item["category"], ["date_key"] = item["date_key"] }))));
            }
        }
        return stale;
    }

    private Task<List<Dictionary<string, AttributeValue>>> ScanDatesAsync(string table, DateOnly[] dates, CancellationToken cancellationToken)
    {
        var values = dates.Select((d, i) => (Name: $":d{i}", Value: new AttributeValue(LakeLayout.FormatDate(d)))).ToList();
        var request = new ScanRequest
        {
            TableName = table,
            FilterExpression = $"#d IN ({string.Join(", ", values.Select(v => v.Name))})",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#d"] = "date_key" },
            ExpressionAttributeValues = values.ToDictionary(v => v.Name, v => v.Value),
        };
        return ScanAllAsync(request, cancellationToken);
    }

    private async Task WriteBatchAsync(Dictionary<string, List<WriteRequest>> batch, CancellationToken cancellationToken)
    {
        var pending = batch;
        for (var attempt = 1; ; attempt++)
        {
            BatchWriteItemResponse response;
            try
            {
                response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (ResourceNotFoundException e)
            {
                throw TableMissing(string.Join(" or ", pending.Keys.Order(StringComparer.Ordinal)), e);
            }
            var unprocessed = response.UnprocessedItems;
            if (unprocessed is null || unprocessed.Count == 0 || unprocessed.All(t => t.Value.Count == 0))
                return;
            if (attempt >= _options.MaxAttempts)
            {
                var left = unprocessed.Sum(t => t.Value.Count);
                throw new KpiStoreException(
                    $"DynamoDB left {left} KPI item(s) unprocessed after {attempt} attempts (tables {string.Join(", ", unprocessed.Keys)}); the table is throttled — raise its capacity or retry the job.");
            }
            pending = unprocessed;
            await Task.Delay(Backoff(attempt), clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Exponential backoff with full jitter: uniform in [0, min(cap, base · 2^attempt)].</summary>
    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }

    public async Task<KpiSnapshot> ReadAsync(DateOnly? from, DateOnly? to, CancellationToken cancellationToken)
    {
        var daily = (await ScanAsync(tables.Daily, from, to, cancellationToken).ConfigureAwait(false))
            .Select(item => new DailyKpi(Date(item["date_key"]), Long(item["total_orders"]), Number(item["total_revenue"]),
                Long(item["total_items_sold"]), Number(item["return_rate"]), Long(item["unique_customers"])))
            .OrderBy(d => d.Date)
            .ToList();
        var categories = (await ScanAsync(tables.Category, from, to, cancellationToken).ConfigureAwait(false))
            .Select(item => new CategoryKpi(item["category"].S, Date(item["date_key"]), Number(item["daily_revenue"]),
                Number(item["avg_order_value"]), Number(item["avg_return_rate"])))
            .OrderBy(c => c.Date).ThenBy(c => c.Category, StringComparer.Ordinal)
            .ToList();
        return new KpiSnapshot(daily, categories);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task<List<Dictionary<string, AttributeValue>>> ScanAsync(string table, DateOnly? from, DateOnly? to, CancellationToken cancellationToken)
    {
        var request = new ScanRequest { TableName = table };
        var filters = new List<string>();
        if (from is not null || to is not null)
        {
            request.ExpressionAttributeNames = new Dictionary<string, string> { ["#d"] = "date_key" };
            request.ExpressionAttributeValues = [];
        }
        if (from is { } start)
        {
            filters.Add("#d >= :from");
            request.ExpressionAttributeValues[":from"] = new AttributeValue(LakeLayout.FormatDate(start));
        }
        if (to is { } end)
        {
            filters.Add("#d <= :to");
            request.ExpressionAttributeValues[":to"] = new AttributeValue(LakeLayout.FormatDate(end));
        }
        if (filters.Count > 0)
            request.FilterExpression = string.Join(" AND ", filters);
        return ScanAllAsync(request, cancellationToken);
    }

    /// <summary>Every item the scan matches, page after page.</summary>
    private async Task<List<Dictionary<string, AttributeValue>>> ScanAllAsync(ScanRequest request, CancellationToken cancellationToken)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        do
        {
            ScanResponse response;
            try
            {
                response = await dynamo.ScanAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (ResourceNotFoundException e)
            {
                throw TableMissing(request.TableName, e);
            }
            items.AddRange(response.Items ?? []);
            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });
        return items;
    }

    /// <summary>DynamoDB's own message ("Requested resource not found") does not say which table.</summary>
    private static KpiStoreException TableMissing(string table, ResourceNotFoundException e) =>
        new($"DynamoDB table {table} does not exist (DynamoDB said: {e.Message}); deploy the stack, or set DAILY_KPIS_TABLE and CATEGORY_KPIS_TABLE to the tables' names", e);

    private static Dictionary<string, AttributeValue> DailyItem(DailyKpi kpi, string computedAt, string batchId) => new()
    {
        ["date_key"] = new AttributeValue(LakeLayout.FormatDate(kpi.Date)),
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
