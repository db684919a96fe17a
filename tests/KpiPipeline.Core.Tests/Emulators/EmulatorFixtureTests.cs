using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using KpiPipeline.Testing;

namespace KpiPipeline.Core.Tests.Emulators;

/// <summary>
/// The emulators behave like the AWS services the pipeline relies on, as driven by AWSSDK v4 with
/// its default settings; and the fixture fails loudly when they cannot start.
/// </summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed class EmulatorFixtureTests(EmulatorFixture emulators) : IDisposable
{
    private const string OrdersCsv = "order_id,customer_id,order_date,status\n";

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private CancellationToken Ct => _timeout.Token;

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task S3_PutGetListCopy_RoundTripsBodiesWithDefaultChecksums()
    {
        using var s3 = emulators.CreateS3Client();
        var bucket = await emulators.NewBucketAsync("lake", Ct);
        var large = LargeCsv(rows: 40_000); // ~1.5 MB: streamed with aws-chunked encoding and a trailing checksum
        const string rawKey = "raw/orders/2024-01-01/part-0000.csv";
        const string validatedKey = "validated/orders/2024-01-01/part-0000.csv";

        await s3.PutObjectAsync(
            new PutObjectRequest { BucketName = bucket, Key = rawKey, InputStream = new MemoryStream(large) }, Ct);
        await s3.PutObjectAsync(
            new PutObjectRequest { BucketName = bucket, Key = "raw/products/products.csv", ContentBody = "product_id,é\n" }, Ct);
        await s3.CopyObjectAsync(
            new CopyObjectRequest
            {
                SourceBucket = bucket,
                SourceKey = rawKey,
                DestinationBucket = bucket,
                DestinationKey = validatedKey,
            },
            Ct);
        var raw = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "raw/" }, Ct);
        var copied = await ReadAllAsync(s3, bucket, validatedKey);
        var products = await ReadAllAsync(s3, bucket, "raw/products/products.csv");

        Assert.Equal(
            ["raw/orders/2024-01-01/part-0000.csv", "raw/products/products.csv"],
            raw.S3Objects.Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.Equal(large.Length, raw.S3Objects.Single(o => o.Key == rawKey).Size);
        Assert.Equal(large, copied);
        Assert.Equal("product_id,é\n", Encoding.UTF8.GetString(products));
    }

    [Fact]
    public async Task DynamoDb_ConditionalUpdateOnUnexpiredLease_ThrowsConditionalCheckFailed()
    {
        using var dynamoDb = emulators.CreateDynamoDbClient();
        var table = await emulators.CreateLockTableAsync(Ct);
        await PutLeaseAsync(dynamoDb, table, owner: "run-a", expiresAt: 1_700_000_600);

        var taking = TakeLeaseAsync(dynamoDb, table, owner: "run-b", now: 1_700_000_000);

        await Assert.ThrowsAsync<ConditionalCheckFailedException>(() => taking);
        Assert.Equal("run-a", await LeaseOwnerAsync(dynamoDb, table));
    }

    [Fact]
    public async Task DynamoDb_ConditionalUpdateOnExpiredLease_TakesIt()
    {
        using var dynamoDb = emulators.CreateDynamoDbClient();
        var table = await emulators.CreateLockTableAsync(Ct);
        await PutLeaseAsync(dynamoDb, table, owner: "run-a", expiresAt: 1_700_000_600);

        await TakeLeaseAsync(dynamoDb, table, owner: "run-b", now: 1_700_000_601);

        Assert.Equal("run-b", await LeaseOwnerAsync(dynamoDb, table));
    }

    [Fact]
    public async Task CreateKpiTables_UniqueNames_HaveTheKeySchemasOfTheArchitecture()
    {
        using var dynamoDb = emulators.CreateDynamoDbClient();

        var tables = await emulators.CreateKpiTablesAsync(Ct);
        var category = await dynamoDb.DescribeTableAsync(tables.CategoryKpis, Ct);
        var tracker = await dynamoDb.DescribeTableAsync(tables.Tracker, Ct);

        Assert.Equal(4, new[] { tables.Tracker, tables.Locks, tables.DailyKpis, tables.CategoryKpis }.Distinct().Count());
        Assert.Equal(
            [("category", "HASH"), ("date_key", "RANGE")],
            category.Table.KeySchema.Select(k => (k.AttributeName, k.KeyType.Value)));
        Assert.Equal([("BatchId", "HASH")], tracker.Table.KeySchema.Select(k => (k.AttributeName, k.KeyType.Value)));
        Assert.Equal(tables.Tracker, tables.ToEnvironment()["TRACKER_TABLE"]);
    }

    [Fact]
    public async Task SnsPublish_ToTopicWithSubscribedQueue_ArrivesInTheQueue()
    {
        var messaging = emulators.Messaging;
        var topicArn = await messaging.CreateTopicAsync(emulators.NewName("failures"), Ct);
        var queue = await messaging.CreateSubscribedQueueAsync(topicArn, emulators.NewName("failures-inbox"), Ct);
        const string failure = """{"batch_id":"2024-01-01","error":"States.TaskFailed"}""";

        var messageId = await messaging.PublishAsync(topicArn, failure, "KPI pipeline failed", Ct);
        var received = await messaging.WaitForNotificationsAsync(queue.Url, 1, TimeSpan.FromSeconds(10), Ct);

        var notification = Assert.Single(received);
        Assert.Equal(new SnsNotification(messageId, topicArn, "KPI pipeline failed", failure), notification);
        Assert.Empty(await messaging.ReceiveAsync(queue.Url, cancellationToken: Ct));
    }

    [Fact]
    public async Task DefaultSdkConstructors_WithTheFixtureEnvironment_ReachTheEmulators()
    {
        var bucket = await emulators.NewBucketAsync("defaults", Ct);
        var table = await emulators.CreateTrackerTableAsync(Ct);
        // Exactly what production code does: no endpoint, no credentials, path-style only.
        using var s3 = new AmazonS3Client(new AmazonS3Config { ForcePathStyle = true });
        using var dynamoDb = new AmazonDynamoDBClient();

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a.txt", ContentBody = "a" }, Ct);
        var described = await dynamoDb.DescribeTableAsync(table, Ct);

        Assert.Equal("a", Encoding.UTF8.GetString(await ReadAllAsync(s3, bucket, "a.txt")));
        Assert.Equal(table, described.Table.TableName);
        Assert.Equal(emulators.FauxqsUrl.ToString().TrimEnd('/'), emulators.Environment["AWS_ENDPOINT_URL_S3"]);
        Assert.Equal(
            emulators.Environment["AWS_ENDPOINT_URL_DYNAMODB"],
            Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_DYNAMODB"));
    }

    [Fact]
    public void NewName_CalledTwice_GivesDistinctValidBucketNames()
    {
        var first = emulators.NewName("lake");
        var second = emulators.NewName("lake");

        Assert.NotEqual(first, second);
        Assert.Matches("^lake-[0-9a-f]{8}-[0-9]{4}$", first);
        Assert.Throws<ArgumentException>(() => emulators.NewName("Upper_Case"));
    }

    [Fact]
    public void NodeToolsLocate_WithoutNodeModules_SaysToRunNpmCi()
    {
        var empty = Directory.CreateTempSubdirectory("kpi-no-node-modules-");
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => NodeTools.Locate(empty.FullName));

            Assert.Contains("run npm ci (./test.sh does it)", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task EmulatorStart_ProcessExitsEarly_ReportsExitCodeAndStderr()
    {
        var startInfo = NodeScript("console.error('EADDRINUSE: address already in use'); process.exit(3);");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EmulatorProcess.StartAsync(
            "doomed", startInfo, (_, _) => Task.FromResult(true), TimeSpan.FromSeconds(30), Ct));

        Assert.Contains("exited with code 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("EADDRINUSE: address already in use", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmulatorStart_NeverAnswersHealthCheck_FailsAtTheDeadlineWithItsOutput()
    {
        var startInfo = NodeScript(
            "console.log(JSON.stringify({ port: 9 })); console.error('still booting'); setInterval(() => {}, 1000);");
        var attempts = 0;
        var elapsed = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EmulatorProcess.StartAsync(
            "stuck",
            startInfo,
            (_, _) => Task.FromResult(Interlocked.Increment(ref attempts) < 0),
            TimeSpan.FromSeconds(1),
            Ct));

        Assert.Contains("did not answer at http://127.0.0.1:9/ within 1 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("still booting", error.Message, StringComparison.Ordinal);
        Assert.True(attempts > 1, $"health was polled {attempts} time(s)");
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(20), $"gave up after {elapsed.Elapsed}");
    }

    [Fact]
    public async Task EmulatorDispose_ProcessIgnoringStdin_KillsItByProcessId()
    {
        // Keeps running after stdin closes, so only the kill can end it.
        var startInfo = NodeScript("console.log(JSON.stringify({ port: 9 })); setInterval(() => {}, 1000);");
        var emulator = await EmulatorProcess.StartAsync(
            "lingering", startInfo, (_, _) => Task.FromResult(true), TimeSpan.FromSeconds(30), Ct);
        var processId = emulator.ProcessId;

        await emulator.DisposeAsync();

        Assert.Throws<ArgumentException>(() => Process.GetProcessById(processId));
    }

    private static ProcessStartInfo NodeScript(string script)
    {
        var startInfo = new ProcessStartInfo(NodeTools.Default.Node)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("-e");
        startInfo.ArgumentList.Add(script);
        return startInfo;
    }

    private static byte[] LargeCsv(int rows)
    {
        var csv = new StringBuilder(OrdersCsv);
        for (var i = 0; i < rows; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"o-{i:D6},c-{i % 997:D4},2024-01-01,delivered\n");
        }

        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    private async Task<byte[]> ReadAllAsync(IAmazonS3 s3, string bucket, string key)
    {
        using var response = await s3.GetObjectAsync(bucket, key, Ct);
        using var body = new MemoryStream();
        await response.ResponseStream.CopyToAsync(body, Ct);
        return body.ToArray();
    }

    private Task PutLeaseAsync(IAmazonDynamoDB dynamoDb, string table, string owner, long expiresAt) =>
        dynamoDb.PutItemAsync(
            new PutItemRequest
            {
                TableName = table,
                Item = new Dictionary<string, AttributeValue>
                {
                    ["LockId"] = new() { S = "2024-01-01" },
                    ["owner"] = new() { S = owner },
                    ["expires_at"] = new() { N = expiresAt.ToString(CultureInfo.InvariantCulture) },
                },
            },
            Ct);

    private Task TakeLeaseAsync(IAmazonDynamoDB dynamoDb, string table, string owner, long now) =>
        dynamoDb.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = table,
                Key = new Dictionary<string, AttributeValue> { ["LockId"] = new() { S = "2024-01-01" } },
                UpdateExpression = "SET #owner = :owner, expires_at = :expires",
                ConditionExpression = "attribute_not_exists(LockId) OR expires_at < :now",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#owner"] = "owner" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":owner"] = new() { S = owner },
                    [":now"] = new() { N = now.ToString(CultureInfo.InvariantCulture) },
                    [":expires"] = new() { N = (now + 600).ToString(CultureInfo.InvariantCulture) },
                },
            },
            Ct);

    private async Task<string> LeaseOwnerAsync(IAmazonDynamoDB dynamoDb, string table)
    {
        var item = await dynamoDb.GetItemAsync(
            new GetItemRequest
            {
                TableName = table,
                Key = new Dictionary<string, AttributeValue> { ["LockId"] = new() { S = "2024-01-01" } },
                ConsistentRead = true,
            },
            Ct);
        return item.Item["owner"].S;
    }
}
