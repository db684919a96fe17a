using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Stores;
using KpiPipeline.Testing;
using StoreTables = KpiPipeline.Stores.KpiTableNames;

namespace KpiPipeline.Core.Tests.Stores;

[Collection(EmulatorFixture.CollectionName)]
public sealed class DynamoDbKpiStoreTests(EmulatorFixture emulators) : KpiStoreContract
{
    private static readonly DynamoDbWriteOptions FastRetries = new() { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) };

    private async Task<StoreTables> NewTablesAsync()
    {
        var tables = await emulators.CreateKpiTablesAsync();
        return new StoreTables(tables.DailyKpis, tables.CategoryKpis);
    }

    protected override async Task<IKpiStore> CreateSutAsync() =>
        new DynamoDbKpiStore(DynamoDbClients.Create(), await NewTablesAsync(), TimeProvider.System, FastRetries);

    [Fact]
    public async Task WriteAsync_ManyRows_WritesEveryItemAcrossBatchesWithLineage()
    {
        var tables = await NewTablesAsync();
        var store = new DynamoDbKpiStore(DynamoDbClients.Create(), tables, TimeProvider.System, FastRetries);

        await store.WriteAsync(Snapshot(categories: 120, Day1), new KpiLineage("2024-01-01", DateTimeOffset.UnixEpoch), CancellationToken.None);

        using var dynamo = emulators.CreateDynamoDbClient();
        var scan = await dynamo.ScanAsync(new ScanRequest { TableName = tables.Category });
        Assert.Equal(120, scan.Count);
        Assert.All(scan.Items, item =>
        {
            Assert.Equal("2024-01-01", item["batch_id"].S);
            Assert.Equal("1970-01-01T00:00:00.0000000Z", item["computed_at"].S);
            Assert.Equal("33.33", item["avg_order_value"].N);
        });
    }

    [Fact]
    public async Task WriteAsync_UnprocessedItems_AreRetriedUntilWritten()
    {
        var tables = await NewTablesAsync();
        using var client = new ThrottlingClient(throttledCalls: 3);
        var store = new DynamoDbKpiStore(client, tables, TimeProvider.System, FastRetries);

        await store.WriteAsync(Snapshot(categories: 60, Day1), new KpiLineage("b", DateTimeOffset.UnixEpoch), CancellationToken.None);

        var read = await store.ReadAsync(null, null, CancellationToken.None);
        Assert.Equal(60, read.Category.Count);
        Assert.Single(read.Daily);
        Assert.True(client.Calls > 4, $"expected retries, saw {client.Calls} calls");
    }

    [Fact]
    public async Task WriteAsync_ThrottledBeyondTheAttempts_FailsWithAClearError()
    {
        var tables = await NewTablesAsync();
        using var client = new ThrottlingClient(throttledCalls: int.MaxValue);
        var store = new DynamoDbKpiStore(client, tables, TimeProvider.System, FastRetries with { MaxAttempts = 3 });

        var error = await Assert.ThrowsAsync<KpiStoreException>(() =>
            store.WriteAsync(Snapshot(categories: 4, Day1), new KpiLineage("b", DateTimeOffset.UnixEpoch), CancellationToken.None));

        Assert.Contains("unprocessed after 3 attempts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_ReplacingDates_NeverScansOrQueries()
    {
        var tables = await NewTablesAsync();
        using var client = new RecordingClient();
        var store = new DynamoDbKpiStore(client, tables, TimeProvider.System, FastRetries);

        await store.WriteAsync(Snapshot(categories: 30, Day1), Lineage, CancellationToken.None);
        await store.WriteAsync(Snapshot(categories: 3, Day1) with { Dates = [Day1, Day2] }, Lineage, CancellationToken.None);

        Assert.Equal(0, client.Scans);
        Assert.Equal(0, client.Queries);
    }

    [Fact]
    public async Task ReadAsync_DateRangeAcrossMonths_QueriesTheMonthIndexAndReturnsExactlyTheRange()
    {
        var tables = await NewTablesAsync();
        using var client = new RecordingClient();
        var store = new DynamoDbKpiStore(client, tables, TimeProvider.System, FastRetries);
        DateOnly[] days = [new(2024, 1, 30), new(2024, 1, 31), new(2024, 2, 1), new(2024, 3, 1), new(2024, 3, 2)];
        foreach (var day in days)
            await store.WriteAsync(Snapshot(categories: 2, day), Lineage, CancellationToken.None);

        var read = await store.ReadAsync(new DateOnly(2024, 1, 31), new DateOnly(2024, 3, 1), CancellationToken.None);

        Assert.Equal(days[1..4], read.Daily.Select(d => d.Date));
        Assert.Equal(days[1..4].SelectMany(d => new[] { d, d }), read.Category.Select(c => c.Date));
        Assert.Equal(0, client.Scans);
        Assert.True(client.Queries >= 6, $"expected a Query per month and table, saw {client.Queries}");
    }

    /// <summary>
    /// A crash after any number of write requests (the process dies; DynamoDB keeps what it took), then the same
    /// replacement again: the tables end exactly as one clean write leaves them, with no stale row left behind.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task WriteAsync_CrashAfterSomeRequestsThenRerun_ConvergesToTheCleanResult(int requestsBeforeCrash)
    {
        var tables = await NewTablesAsync();
        var store = new DynamoDbKpiStore(DynamoDbClients.Create(), tables, TimeProvider.System, FastRetries);
        await store.WriteAsync(Snapshot(categories: 40, Day1), Lineage, CancellationToken.None);
        await store.WriteAsync(Snapshot(categories: 5, Day2), Lineage, CancellationToken.None);
        // Day 1 shrinks to 10 categories with new values; day 2 loses every line.
        var replacement = Snapshot(categories: 10, Day1) with
        {
            Daily = [new DailyKpi(Day1, 7, 70.70m, 7, 0m, 7)],
            Dates = [Day1, Day2],
        };

        using var crashing = new RecordingClient { FailAfterWrites = requestsBeforeCrash };
        var crashingStore = new DynamoDbKpiStore(crashing, tables, TimeProvider.System, FastRetries with { Parallelism = 1 });
        await Assert.ThrowsAsync<IOException>(() => crashingStore.WriteAsync(replacement, Lineage, CancellationToken.None));
        await store.WriteAsync(replacement, Lineage, CancellationToken.None);

        var read = await store.ReadAsync(null, null, CancellationToken.None);
        Assert.Equal(replacement.Sorted().Daily, read.Sorted().Daily);
        Assert.Equal(replacement.Sorted().Category, read.Sorted().Category);
        using var dynamo = emulators.CreateDynamoDbClient();
        var daily = await dynamo.GetItemAsync(new GetItemRequest { TableName = tables.Daily, Key = new() { ["date_key"] = new AttributeValue("2024-01-01") }, ConsistentRead = true });
        Assert.Equal(replacement.Category.Select(c => c.Category).Order(StringComparer.Ordinal), daily.Item["categories"].SS);
    }

    private static readonly KpiLineage Lineage = new("b", DateTimeOffset.UnixEpoch);

    /// <summary>Counts scans and queries; can die after a number of write requests, as a killed process would.</summary>
    private sealed class RecordingClient : AmazonDynamoDBClient
    {
        private int _writes;

        public int Scans { get; private set; }

        public int Queries { get; private set; }

        public int FailAfterWrites { get; init; } = int.MaxValue;

        public override Task<ScanResponse> ScanAsync(ScanRequest request, CancellationToken cancellationToken = default)
        {
            Scans++;
            return base.ScanAsync(request, cancellationToken);
        }

        public override Task<QueryResponse> QueryAsync(QueryRequest request, CancellationToken cancellationToken = default)
        {
            Queries++;
            return base.QueryAsync(request, cancellationToken);
        }

        public override Task<BatchWriteItemResponse> BatchWriteItemAsync(BatchWriteItemRequest request, CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _writes) > FailAfterWrites
                ? throw new IOException("connection lost")
                : base.BatchWriteItemAsync(request, cancellationToken);
    }

    /// <summary>Writes only the first item of each request and hands the rest back, as a throttled table does.</summary>
    private sealed class ThrottlingClient(int throttledCalls) : AmazonDynamoDBClient
    {
        private int _calls;

        public int Calls => _calls;

        public override async Task<BatchWriteItemResponse> BatchWriteItemAsync(BatchWriteItemRequest request, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _calls) > throttledCalls)
                return await base.BatchWriteItemAsync(request, cancellationToken);
            var table = request.RequestItems.First();
            var first = new Dictionary<string, List<WriteRequest>> { [table.Key] = [table.Value[0]] };
            await base.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = first }, cancellationToken);
            var rest = request.RequestItems.ToDictionary(t => t.Key, t => t.Key == table.Key ? t.Value.Skip(1).ToList() : t.Value);
            return new BatchWriteItemResponse { UnprocessedItems = rest.Where(t => t.Value.Count > 0).ToDictionary(t => t.Key, t => t.Value) };
        }
    }
}
