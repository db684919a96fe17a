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
        new DynamoDbKpiStore(AwsClients.CreateDynamoDb(), await NewTablesAsync(), TimeProvider.System, FastRetries);

    [Fact]
    public async Task WriteAsync_ManyRows_WritesEveryItemAcrossBatchesWithLineage()
    {
        var tables = await NewTablesAsync();
        var store = new DynamoDbKpiStore(AwsClients.CreateDynamoDb(), tables, TimeProvider.System, FastRetries);

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
