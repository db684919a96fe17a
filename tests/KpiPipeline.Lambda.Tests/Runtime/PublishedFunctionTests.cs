using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Amazon.S3.Model;
using KpiPipeline.Lambda.Tests.Infrastructure;
using KpiPipeline.Testing;

namespace KpiPipeline.Lambda.Tests.Runtime;

/// <summary>
/// The published package run the way Lambda runs it: <c>dotnet KpiPipeline.Lambda.dll</c> as its own process,
/// talking to a loopback Runtime API (<see cref="LoopbackRuntimeApi"/>), with DynamoDB and S3 on the emulators
/// and Step Functions on a loopback fake.
/// </summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed partial class PublishedFunctionTests(EmulatorFixture fixture)
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Aggregator_S3EventsThroughTheRuntimeApi_StartsTheBatchOnceInTheEventsTraceAndWritesItsManifest()
    {
        await using var sfn = await FakeStepFunctions.StartAsync();
        var bucket = await fixture.NewBucketAsync("lake");
        await using var api = await LoopbackRuntimeApi.StartAsync();
        await using var lambda = await LambdaProcess.StartAsync(await BatchEnvironmentAsync(api, FunctionCatalog.Aggregator, sfn));

        var orders = await InvokeAsync(api, S3Event(bucket, "raw/orders/2024-01-01/part-0000.csv"));
        var items = await InvokeAsync(api, S3Event(bucket, "raw/order_items/2024-01-01/part-0000.csv"));
        const string trace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";
        var products = (await api.InvokeAsync(S3Event(bucket, "raw/products/products.csv"), traceId: trace).WaitAsync(AnswerTimeout)).ResponseJson;
        var again = await InvokeAsync(api, S3Event(bucket, "raw/orders/2024-01-01/part-0000.csv"));

        Assert.Equal(["waiting", "waiting", "started", "up_to_date"], new[] { orders, items, products, again }.Select(Decision));
        Assert.Equal(["2024-01-01-v1"], sfn.Executions.Keys);
        Assert.Empty(sfn.Problems);
        // The invocation's Lambda-Runtime-Trace-Id reached StartExecution as its X-Ray trace header.
        Assert.Equal(trace, (string?)JsonNode.Parse(Assert.Single(sfn.Bodies))!["traceHeader"]);
        using var s3 = fixture.CreateS3Client();
        var manifest = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "batches/2024-01-01/v0001.json" });
        Assert.Equal(HttpStatusCode.OK, manifest.HttpStatusCode);
        Assert.Empty(api.Problems);
        Assert.False(lambda.HasExited);
    }

    [Fact]
    public async Task Aggregator_MalformedEventThenAGoodOne_PostsAnErrorNamingTheFieldAndServesTheNext()
    {
        await using var sfn = await FakeStepFunctions.StartAsync();
        var bucket = await fixture.NewBucketAsync("lake");
        await using var api = await LoopbackRuntimeApi.StartAsync();
        await using var lambda = await LambdaProcess.StartAsync(await BatchEnvironmentAsync(api, FunctionCatalog.Aggregator, sfn));

        var malformed = await api.InvokeAsync(await File.ReadAllTextAsync(S3Events.FixturePath(Path.Combine("malformed", "record-without-key.json")))).WaitAsync(AnswerTimeout);
        var good = await InvokeAsync(api, S3Event(bucket, "raw/orders/2024-01-01/part-0000.csv"));

        var error = Assert.IsType<PostedError>(malformed.Error);
        Assert.Equal(("InvalidEventException", "InvalidEventException", "Records[1].s3.object.key is missing."),
            (error.ErrorType, error.ErrorTypeHeader, error.ErrorMessage));
        Assert.Equal("application/vnd.aws.lambda.error+json", error.ContentType);
        Assert.Equal("recorded", (string?)good["records"]![0]!["outcome"]);
        Assert.Empty(api.Problems);
    }

    [Fact]
    public async Task Aggregator_KeyOutsideTheRoutingTable_IsLoggedAndAcknowledged()
    {
        await using var sfn = await FakeStepFunctions.StartAsync();
        await using var api = await LoopbackRuntimeApi.StartAsync();
        await using var lambda = await LambdaProcess.StartAsync(await BatchEnvironmentAsync(api, FunctionCatalog.Aggregator, sfn));

        var result = await InvokeAsync(api, S3Event("lake", "raw/exports/2024-01-01/readme.txt"));

        var record = result["records"]![0]!;
        Assert.Equal(("ignored", "raw/exports/2024-01-01/readme.txt"), ((string?)record["outcome"], (string?)record["key"]));
        Assert.Empty(result["batches"]!.AsArray());
        Assert.Contains(lambda.StderrLines, line => line.Contains("Ignored s3://lake/raw/exports/2024-01-01/readme.txt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sweeper_ScheduledTick_AnswersWithTheOpenBatches()
    {
        await using var sfn = await FakeStepFunctions.StartAsync();
        await using var aggregatorApi = await LoopbackRuntimeApi.StartAsync();
        var environment = await BatchEnvironmentAsync(aggregatorApi, FunctionCatalog.Aggregator, sfn);
        await using (var aggregator = await LambdaProcess.StartAsync(environment))
        {
            await InvokeAsync(aggregatorApi, S3Event("lake", "raw/orders/2024-01-01/part-0000.csv"));
        }
        await using var api = await LoopbackRuntimeApi.StartAsync();
        await using var sweeper = await LambdaProcess.StartAsync(new Dictionary<string, string>(environment)
        {
            ["AWS_LAMBDA_RUNTIME_API"] = api.HostAndPort,
            ["KPI_FUNCTION"] = FunctionCatalog.Sweeper,
        });

        var result = await InvokeAsync(api, await File.ReadAllTextAsync(S3Events.FixturePath("scheduled-event.json")));

        var batch = Assert.Single(result["batches"]!.AsArray())!;
        Assert.Equal(("2024-01-01", "waiting"), ((string?)batch["batch_id"], (string?)batch["decision"]));
        Assert.Empty(sfn.Executions);
    }

    [Fact]
    public async Task LockFunctions_AcquireBadRequestReleaseThroughTheRuntimeApi_EachAnsweredInOrder()
    {
        var table = await fixture.CreateLockTableAsync();
        await using var api = await LoopbackRuntimeApi.StartAsync();
        var environment = LambdaProcess.Environment(fixture, api, FunctionCatalog.AcquireLock);
        environment["LOCK_TABLE"] = table;
        await using var acquire = await LambdaProcess.StartAsync(environment);

        var acquired = await InvokeAsync(api, await File.ReadAllTextAsync(S3Events.FixturePath("lock-acquire.json")));
        var bad = await api.InvokeAsync(await File.ReadAllTextAsync(S3Events.FixturePath(Path.Combine("malformed", "lock-without-owner.json")))).WaitAsync(AnswerTimeout);
        var again = await InvokeAsync(api, await File.ReadAllTextAsync(S3Events.FixturePath("lock-acquire.json")));

        Assert.True((bool)acquired["acquired"]!);
        Assert.Equal(("InvalidEventException", "owner is missing."), (bad.Error?.ErrorType, bad.Error?.ErrorMessage));
        Assert.True((bool)again["acquired"]!, "the same owner renews its lease");
        Assert.Empty(api.Problems);
        Assert.Equal(0, await acquire.StopAsync());
    }

    [Fact]
    public async Task Aggregator_WithoutStateMachineArn_PostsInitErrorAndExitsNonZero()
    {
        await using var api = await LoopbackRuntimeApi.StartAsync();
        var environment = LambdaProcess.Environment(fixture, api, FunctionCatalog.Aggregator);
        environment["TRACKER_TABLE"] = "any";

        await using var lambda = await LambdaProcess.StartAsync(environment);
        var exitCode = await lambda.WaitForExitAsync();

        var error = await api.InitError.WaitAsync(AnswerTimeout);
        Assert.NotEqual(0, exitCode);
        Assert.Equal(("ConfigurationException", "ConfigurationException"), (error.ErrorType, error.ErrorTypeHeader));
        Assert.StartsWith("STATE_MACHINE_ARN is not set", error.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(api.Polls);
    }

    [Fact]
    public async Task Process_UnknownFunctionName_PostsInitErrorListingTheFunctions()
    {
        await using var api = await LoopbackRuntimeApi.StartAsync();
        await using var lambda = await LambdaProcess.StartAsync(LambdaProcess.Environment(fixture, api, "aggregater"));

        var exitCode = await lambda.WaitForExitAsync();

        var error = await api.InitError.WaitAsync(AnswerTimeout);
        Assert.Equal(1, exitCode);
        Assert.Equal("KPI_FUNCTION is 'aggregater', which is not a function of this package; expected one of aggregator, sweeper, acquire-lock, release-lock, dashboard-api.", error.ErrorMessage);
    }

    [Fact]
    public async Task Process_RuntimeApiFailsThenRecovers_RetriesWithGrowingPausesAndServesTheEvent()
    {
        var table = await fixture.CreateLockTableAsync();
        await using var api = await LoopbackRuntimeApi.StartAsync();
        api.FailNextPolls(PollFault.ServerError, PollFault.DropConnection, PollFault.ServerError);
        var environment = LambdaProcess.Environment(fixture, api, FunctionCatalog.AcquireLock);
        environment["LOCK_TABLE"] = table;
        await using var lambda = await LambdaProcess.StartAsync(environment);

        var acquired = await InvokeAsync(api, await File.ReadAllTextAsync(S3Events.FixturePath("lock-acquire.json")));

        Assert.True((bool)acquired["acquired"]!);
        var polls = api.Polls.Take(4).Select(poll => poll.Timestamp).ToList();
        var pauses = polls.Zip(polls.Skip(1), (first, second) => Stopwatch.GetElapsedTime(first, second).TotalMilliseconds).ToList();
        // 100, 200, 400 ms by the client's schedule; a busy loop would show pauses of a millisecond or less.
        Assert.Equal(3, pauses.Count);
        Assert.All(pauses.Zip([100.0, 200.0, 400.0]), pair => Assert.True(pair.First >= pair.Second * 0.9, $"pauses {string.Join(", ", pauses)} ms"));
        Assert.Equal(0, await lambda.StopAsync());
        Assert.Equal(3, lambda.StderrLines.Count(line => line.Contains("\"EventId\":105", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Process_RuntimeApiKeepsFailing_GivesUpAfterSixAttemptsAndExitsNonZero()
    {
        await using var api = await LoopbackRuntimeApi.StartAsync();
        api.FailNextPolls([.. Enumerable.Repeat(PollFault.ServerError, 10)]);
        var environment = LambdaProcess.Environment(fixture, api, FunctionCatalog.ReleaseLock);
        environment["LOCK_TABLE"] = "any";

        await using var lambda = await LambdaProcess.StartAsync(environment);
        var exitCode = await lambda.WaitForExitAsync();

        Assert.Equal(1, exitCode);
        Assert.Equal(6, api.Polls.Count);
        Assert.Contains(lambda.StderrLines, line => line.Contains($"Lambda Runtime API at {api.HostAndPort} is unavailable, so the process exits", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Process_DependencyHangs_DeadlineHeaderStopsTheInvocationAndItsErrorIsPosted()
    {
        // A DynamoDB that accepts connections and never answers: only the deadline can end the call.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var api = await LoopbackRuntimeApi.StartAsync();
        var environment = LambdaProcess.Environment(fixture, api, FunctionCatalog.AcquireLock);
        environment["LOCK_TABLE"] = "locks";
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        await using var lambda = await LambdaProcess.StartAsync(environment);

        var result = await api.InvokeAsync(await File.ReadAllTextAsync(S3Events.FixturePath("lock-acquire.json")), DateTimeOffset.UtcNow.AddSeconds(4)).WaitAsync(AnswerTimeout);

        Assert.Equal("Runtime.DeadlineExceeded", result.Error?.ErrorType);
        Assert.Empty(api.Problems);
    }

    [Fact]
    public async Task Process_JsonLogLines_CarryUtcTimestampsAndTheRequestId()
    {
        var table = await fixture.CreateLockTableAsync();
        await using var api = await LoopbackRuntimeApi.StartAsync();
        var environment = LambdaProcess.Environment(fixture, api, FunctionCatalog.AcquireLock);
        environment["LOCK_TABLE"] = table;
        // Fourteen hours east of UTC: a local time labelled Z would be far off.
        environment["TZ"] = "Pacific/Kiritimati";
        await using var lambda = await LambdaProcess.StartAsync(environment);

        var result = await api.InvokeAsync(await File.ReadAllTextAsync(S3Events.FixturePath("lock-acquire.json"))).WaitAsync(AnswerTimeout);
        // SIGTERM stops the loop between events and flushes the log, as at the end of an environment's life.
        Assert.Equal(0, await lambda.StopAsync());

        var lines = lambda.StderrLines.Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, line =>
        {
            var timestamp = (string)line["Timestamp"]!;
            Assert.Matches(UtcTimestamp(), timestamp);
            var time = DateTimeOffset.Parse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            Assert.InRange(time, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(1));
        });
        Assert.Contains(lines, line => line["EventId"]?.GetValue<int>() == 30
            && line["Scopes"]!.AsArray().Any(scope => (string?)scope?["AwsRequestId"] == result.RequestId));
    }

    private async Task<Dictionary<string, string>> BatchEnvironmentAsync(LoopbackRuntimeApi api, string function, FakeStepFunctions sfn)
    {
        var environment = LambdaProcess.Environment(fixture, api, function);
        environment["TRACKER_TABLE"] = await fixture.CreateTrackerTableAsync();
        environment["STATE_MACHINE_ARN"] = FakeStepFunctions.StateMachineArn;
        environment["AWS_ENDPOINT_URL_SFN"] = sfn.Url.ToString().TrimEnd('/');
        return environment;
    }

    private static async Task<JsonObject> InvokeAsync(LoopbackRuntimeApi api, string eventJson)
    {
        var result = await api.InvokeAsync(eventJson).WaitAsync(AnswerTimeout);
        return result.ResponseJson;
    }

    private static string S3Event(string bucket, string key)
    {
        var record = S3Events.Record(key);
        record["s3"]!["bucket"]!["name"] = bucket;
        return new JsonObject { ["Records"] = new JsonArray(record) }.ToJsonString();
    }

    private static string? Decision(JsonObject result) => (string?)result["batches"]![0]!["decision"];

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex UtcTimestamp();
}
