using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using KpiPipeline.Batching;
using KpiPipeline.Lake;
using KpiPipeline.Testing;
using Microsoft.Extensions.Time.Testing;

namespace KpiPipeline.Lambda.Tests.Infrastructure;

/// <summary>
/// The aggregator wired for a test: a fresh tracker table on dynalite, a lake in a temporary folder (the
/// handler's store factory returns it for any bucket), a fixed clock and a recording starter.
/// </summary>
internal sealed class LambdaSut : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2024, 1, 2, 0, 5, 0, TimeSpan.Zero);

    private readonly IAmazonDynamoDB _dynamoDb;

    private LambdaSut(IAmazonDynamoDB dynamoDb, string table, LocalObjectStore lake, IExecutionStarter starter, RecordingStarter recorder, LambdaSettings settings)
    {
        _dynamoDb = dynamoDb;
        Lake = lake;
        Recorder = recorder;
        Settings = settings;
        Tracker = new DynamoDbBatchTracker(dynamoDb, table);
        Function = new Function(dynamoDb, _ => lake, starter, settings, Clock, Logs);
    }

    public Function Function { get; }

    public DynamoDbBatchTracker Tracker { get; }

    public LocalObjectStore Lake { get; }

    /// <summary>The executions started, when the test did not pass its own starter.</summary>
    public RecordingStarter Recorder { get; }

    public LambdaSettings Settings { get; }

    public FakeTimeProvider Clock { get; } = new(Start);

    public ListLoggerFactory Logs { get; } = new();

    /// <param name="starter">Wraps the recorder (crash injection) or replaces it (HTTP); the recorder by default.</param>
    public static async Task<LambdaSut> CreateAsync(EmulatorFixture fixture, Func<RecordingStarter, IExecutionStarter>? starter = null, TimeSpan? staleAfter = null)
    {
        var table = await fixture.CreateTrackerTableAsync();
        var lake = new LocalObjectStore(Path.Combine(Path.GetTempPath(), "kpi-lambda-tests", Guid.NewGuid().ToString("N")));
        var recorder = new RecordingStarter();
        var settings = new LambdaSettings
        {
            TrackerTable = table,
            StateMachineArn = FakeStepFunctions.StateMachineArn,
            StaleBatchAfter = staleAfter ?? TimeSpan.FromMinutes(120),
            // Generous: a loaded CI machine must not turn slowness into cancellation.
            InvocationBudget = TimeSpan.FromMinutes(5),
        };
        return new LambdaSut(fixture.CreateDynamoDbClient(), table, lake, starter?.Invoke(recorder) ?? recorder, recorder, settings);
    }

    public async Task<JsonObject> HandleAsync(Stream input)
    {
        await using var output = await Function.HandleAsync(input);
        return JsonNode.Parse(output)!.AsObject();
    }

    public Task<JsonObject> HandleAsync(params string[] keys) => HandleAsync(S3Events.Created(keys));

    public async Task<JsonObject> SweepAsync()
    {
        await using var output = await Function.SweepAsync(S3Events.Fixture("scheduled-event.json"));
        return JsonNode.Parse(output)!.AsObject();
    }

    public async Task<BatchState> BatchAsync(string batchId) =>
        await Tracker.GetAsync(batchId, CancellationToken.None) ?? throw new InvalidOperationException($"No tracker item {batchId}.");

    public Task<BatchManifest> ManifestAsync(string batchId, int version) =>
        BatchManifest.ReadAsync(Lake, LakeLayout.ManifestKey(DateOnly.Parse(batchId, System.Globalization.CultureInfo.InvariantCulture), version), CancellationToken.None);

    public Task UploadAsync(string key, string content) => Lake.PutAsync(key, System.Text.Encoding.UTF8.GetBytes(content), CancellationToken.None);

    public ValueTask DisposeAsync()
    {
        _dynamoDb.Dispose();
        if (Directory.Exists(Lake.Root))
            Directory.Delete(Lake.Root, recursive: true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Keys of the test batches.</summary>
internal static class Keys
{
    public const string Products = "raw/products/products.csv";

    public static string Orders(string batchId, int part = 0) => $"raw/orders/{batchId}/part-{part:D4}.csv";

    public static string OrderItems(string batchId, int part = 0) => $"raw/order_items/{batchId}/part-{part:D4}.csv";

    public static string ExpectedFiles(string batchId) => $"raw/batches/{batchId}/_manifest.json";
}
