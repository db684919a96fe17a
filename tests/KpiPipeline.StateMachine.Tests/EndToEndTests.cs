using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Lambda;
using KpiPipeline.Lambda.Local;
using KpiPipeline.Orchestration;
using KpiPipeline.StateMachine.Tests.Support;
using KpiPipeline.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiPipeline.StateMachine.Tests;

/// <summary>
/// The checked-in definition run end to end on the emulators: fauxqs (S3, SNS, SQS) and dynalite, the real
/// validator, KPI job and Lambda executables, and aws-local-stepfunctions in place of Step Functions.
/// </summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed class EndToEndTests(EmulatorFixture emulators)
{
    private static readonly string ScriptsFolder = Path.Combine(RepositoryRoot.Find(), "tests", "KpiPipeline.StateMachine.Tests", "Scripts");

    [Fact]
    public async Task S3Event_GoodDay_StoresTheInProcessKpisAndArchivesTheFiles()
    {
        using var pipeline = await LocalPipeline.CreateAsync(emulators);
        var day = ShopDay.Good();
        await day.UploadAsync(pipeline);
        await using var starter = new LocalStateMachineStarter(pipeline.CreateMachine());

        var handled = await HandleUploadsAsync(pipeline, starter);
        var execution = await starter.WaitAsync(StartedExecution(handled), Timeout());

        Assert.True(execution.Succeeded, Describe(execution));
        AssertKpis(await day.ExpectedKpisAsync(), await pipeline.ReadKpisAsync());
        Assert.Equal(
            [ShopDay.ItemsKey.Replace("raw/", "processed/", StringComparison.Ordinal), ShopDay.OrdersKey.Replace("raw/", "processed/", StringComparison.Ordinal)],
            (await pipeline.KeysAsync("processed/")).Where(k => k.EndsWith(".csv", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Empty(await pipeline.KeysAsync("raw/orders/"));
        Assert.False(await pipeline.LockItemExistsAsync(day.BatchId));
        var notification = Assert.Single(await emulators.Messaging.WaitForNotificationsAsync(pipeline.SuccessInbox.Url, 1, TimeSpan.FromSeconds(30)));
        var summary = JsonNode.Parse(notification.Message)!;
        Assert.Equal("SUCCEEDED", (string?)summary["outcome"]);
        Assert.Equal(day.BatchId, (string?)summary["batch_id"]);
        Assert.Equal("logs/transformation/2024-01-01/v0001.json", (string?)summary["transformation_report"]);
        Assert.Empty(await emulators.Messaging.ReceiveAsync(pipeline.FailureInbox.Url));
    }

    [Fact]
    public async Task S3Event_BrokenOrdersFile_FailsAsValidationFailedNotifiesQuarantinesAndReleasesTheLock()
    {
        using var pipeline = await LocalPipeline.CreateAsync(emulators);
        var day = ShopDay.WithBrokenOrdersFile();
        await day.UploadAsync(pipeline);
        await using var starter = new LocalStateMachineStarter(pipeline.CreateMachine());

        var handled = await HandleUploadsAsync(pipeline, starter);
        var execution = await starter.WaitAsync(StartedExecution(handled), Timeout());

        Assert.False(execution.Succeeded);
        Assert.Equal("ValidationFailed", execution.Error);
        // Exit code 2 is a data problem: the validator ran once, no retry.
        Assert.Equal(1, execution.TimesEntered("ValidateData"));
        Assert.Equal(0, execution.TimesEntered("TransformData"));
        var notification = Assert.Single(await emulators.Messaging.WaitForNotificationsAsync(pipeline.FailureInbox.Url, 1, TimeSpan.FromSeconds(30)));
        var message = JsonNode.Parse(notification.Message)!;
        Assert.Equal(day.BatchId, (string?)message["batch_id"]);
        Assert.Equal("validation", (string?)message["stage"]);
        Assert.Contains("exit code 2", (string?)message["reason"], StringComparison.Ordinal);
        Assert.Equal(2, (int?)message["details"]!["exit_codes"]![0]);
        var quarantined = await pipeline.KeysAsync("invalid/orders/2024-01-01/");
        Assert.Contains("invalid/orders/2024-01-01/part-0000.csv", quarantined);
        var errorsKey = Assert.Single(quarantined, k => k.EndsWith(".errors.json", StringComparison.Ordinal));
        Assert.Contains("created_at", await pipeline.ReadAsync(errorsKey), StringComparison.Ordinal);
        Assert.False(await pipeline.LockItemExistsAsync(day.BatchId));
        Assert.Empty(await pipeline.ReadKpisAsync() is { } kpis ? kpis.Daily : []);
        Assert.Empty(await emulators.Messaging.ReceiveAsync(pipeline.SuccessInbox.Url));
    }

    [Theory]
    [InlineData("validator", "ValidateData", "WaitBeforeValidatorRetry", "RenewLockForValidator", "validator_retries")]
    [InlineData("kpi-job", "TransformData", "WaitBeforeKpiJobRetry", "RenewLockForKpiJob", "kpi_job_retries")]
    public async Task RunAsync_ContainerFailsOnceTransiently_RetriesItAndSucceeds(string container, string task, string wait, string renew, string retries)
    {
        using var pipeline = await LocalPipeline.CreateAsync(emulators);
        var day = ShopDay.Good();
        await day.UploadAsync(pipeline);
        var input = await pipeline.WriteManifestAsync(day.BatchId, 1, day.OrdersKeys, day.ItemsKeys);
        using var markers = new TempLake();
        var marker = Path.Combine(markers.Root, $"{container}-failed-once");
        var machine = pipeline.CreateMachine(options => options with
        {
            Environment = new Dictionary<string, string>(options.Environment) { ["KPI_LOCAL_FAIL_FIRST"] = $"{container}:{marker}" },
        });

        var execution = await machine.RunAsync(input, Timeout());

        Assert.True(execution.Succeeded, Describe(execution));
        Assert.True(File.Exists(marker), $"the first {container} run was not made to fail");
        Assert.Equal(2, execution.TimesEntered(task));
        Assert.Equal(1, execution.TimesEntered(wait));
        // Every container run after the first acquire renews the lease first.
        Assert.Equal(container == "kpi-job" ? 2 : 1, execution.TimesEntered(renew));
        Assert.Equal(1, (int?)execution.Output![retries]);
        AssertKpis(await day.ExpectedKpisAsync(), await pipeline.ReadKpisAsync());
        Assert.False(await pipeline.LockItemExistsAsync(day.BatchId));
        Assert.Empty(await emulators.Messaging.ReceiveAsync(pipeline.FailureInbox.Url));
    }

    [Fact]
    public async Task RunAsync_LeaseLeftByACrashedRun_IsTakenOverOnceExpired()
    {
        using var pipeline = await LocalPipeline.CreateAsync(emulators);
        var day = ShopDay.Good();
        await day.UploadAsync(pipeline);
        var input = await pipeline.WriteManifestAsync(day.BatchId, 1, day.OrdersKeys, day.ItemsKeys);
        // A run that took the lease an hour ago for ten minutes and died: no release ever comes.
        await AcquireLeaseAsync(pipeline, day.BatchId, "2024-01-01-v0-crashed", new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1)));

        var execution = await pipeline.CreateMachine().RunAsync(input, Timeout());

        Assert.True(execution.Succeeded, Describe(execution));
        Assert.Equal(0, execution.TimesEntered("WaitForDateLock"));
        Assert.False(await pipeline.LockItemExistsAsync(day.BatchId));
    }

    [Fact]
    public async Task RunAsync_TwoVersionsOfOneDateAtOnce_RunOneAfterTheOtherAndStoreTheRightKpis()
    {
        using var pipeline = await LocalPipeline.CreateAsync(emulators);
        var day = ShopDay.Good();
        await day.UploadAsync(pipeline);
        var first = await pipeline.WriteManifestAsync(day.BatchId, 1, day.OrdersKeys, day.ItemsKeys);
        var second = await pipeline.WriteManifestAsync(day.BatchId, 2, day.OrdersKeys, day.ItemsKeys);
        using var signals = new TempLake();
        var secondWasRefused = Path.Combine(signals.Root, "second-refused");
        // The first execution holds the date's lease from the start (its own name, so it renews it), and its
        // validator waits until the second execution has been refused the lease: the two overlap for sure.
        await AcquireLeaseAsync(pipeline, day.BatchId, first.ExecutionName);
        var firstMachine = pipeline.CreateMachine(options => options with
        {
            WaitOverride = TimeSpan.FromMilliseconds(250),
            TaskScripts = new Dictionary<string, string> { ["ValidateData"] = Path.Combine(ScriptsFolder, "hold-until.mjs") },
            Environment = new Dictionary<string, string>(options.Environment)
            {
                ["KPI_TEST_HOLD_UNTIL"] = secondWasRefused,
                ["KPI_TEST_WRAPPED"] = Path.Combine(options.ScriptsDirectory, "ecs-run-task.mjs"),
            },
        });
        var secondMachine = pipeline.CreateMachine(options => options with
        {
            WaitOverride = TimeSpan.FromMilliseconds(250),
            TaskScripts = new Dictionary<string, string> { ["AcquireDateLock"] = Path.Combine(ScriptsFolder, "signal-refusal.mjs") },
            Environment = new Dictionary<string, string>(options.Environment)
            {
                ["KPI_TEST_SIGNAL_FILE"] = secondWasRefused,
                ["KPI_TEST_WRAPPED"] = Path.Combine(options.ScriptsDirectory, "lambda-invoke.mjs"),
            },
        });

        var runs = await Task.WhenAll(firstMachine.RunAsync(first, Timeout()), secondMachine.RunAsync(second, Timeout()));

        Assert.All(runs, run => Assert.True(run.Succeeded, Describe(run)));
        Assert.Equal(0, runs[0].TimesEntered("WaitForDateLock"));
        Assert.True(runs[1].TimesEntered("WaitForDateLock") >= 1, Describe(runs[1]));
        // The second validated only after the first had released the lease (SummariseBatch follows the release).
        Assert.True(runs[1].FirstEntered("ValidateData") >= runs[0].FirstEntered("SummariseBatch"), $"{Describe(runs[0])}\n{Describe(runs[1])}");
        AssertKpis(await day.ExpectedKpisAsync(), await pipeline.ReadKpisAsync());
        Assert.False(await pipeline.LockItemExistsAsync(day.BatchId));
    }

    private static async Task<JsonNode> HandleUploadsAsync(LocalPipeline pipeline, LocalStateMachineStarter starter)
    {
        var notification = await S3EventBridge.NotificationForAsync(pipeline.Store, pipeline.Bucket, TimeProvider.System, CancellationToken.None);
        var function = new Function(pipeline.DynamoDb, bucket => new S3ObjectStore(pipeline.S3, bucket), starter,
            new LambdaSettings { TrackerTable = pipeline.Tables.Tracker, LockTable = pipeline.Tables.Locks }, TimeProvider.System, NullLoggerFactory.Instance);
        using var input = new MemoryStream(Encoding.UTF8.GetBytes(notification.ToJsonString()));
        await using var output = await function.HandleAsync(input);
        return (await JsonNode.ParseAsync(output))!;
    }

    private static string StartedExecution(JsonNode handled)
    {
        var started = handled["batches"]!.AsArray().Where(b => (string?)b!["decision"] == "started").ToList();
        Assert.True(started.Count == 1, $"the Lambda did not start exactly one batch: {handled.ToJsonString()}");
        return (string)started[0]!["execution_name"]!;
    }

    private static async Task AcquireLeaseAsync(LocalPipeline pipeline, string batchId, string owner, TimeProvider? clock = null)
    {
        var locks = new DateLockFunction(pipeline.DynamoDb, new LambdaSettings { LockTable = pipeline.Tables.Locks }, clock ?? TimeProvider.System, NullLoggerFactory.Instance);
        var request = JsonSerializer.SerializeToUtf8Bytes(new { batch_id = batchId, owner, lease_seconds = 600 });
        await using var answer = await locks.AcquireAsync(new MemoryStream(request));
        Assert.True((bool)(await JsonNode.ParseAsync(answer))!["acquired"]!);
    }

    private static void AssertKpis(KpiSnapshot expected, KpiSnapshot actual)
    {
        Assert.NotEmpty(expected.Daily);
        Assert.Equal(expected.Daily, actual.Daily);
        Assert.Equal(expected.Category, actual.Category);
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(LocalPipeline.Patience).Token;

    private static string Describe(LocalExecutionResult execution) =>
        $"{execution.ExecutionName}: {execution.Status} {execution.Error} {execution.Cause}\nstates: {string.Join(" > ", execution.States)}\nlog:\n{string.Join('\n', execution.Log.Split('\n').TakeLast(40))}";
}
