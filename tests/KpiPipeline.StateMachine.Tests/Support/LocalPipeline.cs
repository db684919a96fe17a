using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Orchestration;
using KpiPipeline.Stores;
using KpiPipeline.Testing;
using StoreTables = KpiPipeline.Stores.KpiTableNames;
using TestTables = KpiPipeline.Testing.KpiTableNames;

namespace KpiPipeline.StateMachine.Tests.Support;

/// <summary>
/// One isolated pipeline on the shared emulators: a bucket, the four tables, the two topics each with a
/// subscribed queue, and the local state machine wired to them with the built validator, KPI job and Lambda.
/// </summary>
internal sealed class LocalPipeline : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    private LocalPipeline(EmulatorFixture emulators, string bucket, TestTables tables, string successTopic, SqsQueue successInbox,
        string failureTopic, SqsQueue failureInbox)
    {
        Emulators = emulators;
        Bucket = bucket;
        Tables = tables;
        SuccessTopicArn = successTopic;
        SuccessInbox = successInbox;
        FailureTopicArn = failureTopic;
        FailureInbox = failureInbox;
        S3 = emulators.CreateS3Client();
        DynamoDb = emulators.CreateDynamoDbClient();
        Store = new S3ObjectStore(S3, bucket);
    }

    public EmulatorFixture Emulators { get; }

    public string Bucket { get; }

    public TestTables Tables { get; }

    public string SuccessTopicArn { get; }

    public SqsQueue SuccessInbox { get; }

    public string FailureTopicArn { get; }

    public SqsQueue FailureInbox { get; }

    public IAmazonS3 S3 { get; }

    public IAmazonDynamoDB DynamoDb { get; }

    public S3ObjectStore Store { get; }

    public static async Task<LocalPipeline> CreateAsync(EmulatorFixture emulators)
    {
        var bucket = await emulators.NewBucketAsync("lake");
        var tables = await emulators.CreateKpiTablesAsync();
        var successTopic = await emulators.Messaging.CreateTopicAsync(emulators.NewName("success"));
        var failureTopic = await emulators.Messaging.CreateTopicAsync(emulators.NewName("failure"));
        var successInbox = await emulators.Messaging.CreateSubscribedQueueAsync(successTopic, emulators.NewName("success-inbox"));
        var failureInbox = await emulators.Messaging.CreateSubscribedQueueAsync(failureTopic, emulators.NewName("failure-inbox"));
        return new LocalPipeline(emulators, bucket, tables, successTopic, successInbox, failureTopic, failureInbox);
    }

    /// <summary>The local state machine on this pipeline's resources; <paramref name="configure"/> adds test hooks.</summary>
    public LocalStateMachine CreateMachine(Func<LocalStateMachineOptions, LocalStateMachineOptions>? configure = null)
    {
        var root = RepositoryRoot.Find();
        var environment = new Dictionary<string, string>(Emulators.Environment);
        foreach (var (name, value) in Tables.ToEnvironment())
            environment[name] = value;
        var options = new LocalStateMachineOptions
        {
            RepositoryRoot = root,
            ValidatorCommand = LocalTools.DotnetCommand(root, "validator", "validator"),
            KpiJobCommand = LocalTools.DotnetCommand(root, "spark-job", "kpi-job"),
            LambdaCommand = LocalTools.DotnetCommand(root, "lambda", "KpiPipeline.Lambda"),
            SuccessTopicArn = SuccessTopicArn,
            FailureTopicArn = FailureTopicArn,
            WaitOverride = TimeSpan.FromMilliseconds(100),
            Environment = environment,
        };
        return new LocalStateMachine(configure is null ? options : configure(options));
    }

    public async Task UploadAsync(string key, string content)
    {
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, ContentBody = content });
    }

    /// <summary>Writes the batch manifest the Lambda would write, for tests that start executions directly.</summary>
    public async Task<LocalExecutionInput> WriteManifestAsync(string batchId, int version, IReadOnlyList<string> ordersKeys, IReadOnlyList<string> itemsKeys)
    {
        var manifest = new BatchManifest(batchId, version, LakeLayout.ProductsKey, ordersKeys, itemsKeys, DateTimeOffset.UtcNow);
        await manifest.WriteAsync(Store, CancellationToken.None);
        return new LocalExecutionInput(Bucket, batchId, version, manifest.Key);
    }

    public async Task<IReadOnlyList<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var item in Store.ListAsync(prefix, CancellationToken.None))
            keys.Add(item.Key);
        return keys;
    }

    public async Task<string> ReadAsync(string key)
    {
        using var response = await S3.GetObjectAsync(Bucket, key);
        using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    public async Task<KpiSnapshot> ReadKpisAsync() =>
        (await new DynamoDbKpiStore(DynamoDb, new StoreTables(Tables.DailyKpis, Tables.CategoryKpis), TimeProvider.System)
            .ReadAsync(null, null, CancellationToken.None)).Sorted();

    /// <summary>Whether a lease item for the date is in the lock table (release deletes it).</summary>
    public async Task<bool> LockItemExistsAsync(string batchId)
    {
        var item = await DynamoDb.GetItemAsync(new GetItemRequest
        {
            TableName = Tables.Locks,
            Key = new() { [PipelineTables.BatchDateLocks.HashKey] = new AttributeValue { S = batchId } },
            ConsistentRead = true,
        });
        return item.Item is { Count: > 0 };
    }

    public void Dispose()
    {
        S3.Dispose();
        DynamoDb.Dispose();
    }
}
