using KpiPipeline.Batching;
using KpiPipeline.Lambda.Events;
using KpiPipeline.Lambda.Tests.Infrastructure;
using KpiPipeline.Testing;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda.Tests;

[Collection(EmulatorFixture.CollectionName)]
public sealed class FunctionTests(EmulatorFixture fixture)
{
    private const string Batch = "2024-01-01";

    [Fact]
    public async Task HandleAsync_DailyFilesThenProducts_ProductsReleaseTheBatchOnce()
    {
        await using var sut = await CreateSut();

        var orders = await sut.HandleAsync(Keys.Orders(Batch));
        var items = await sut.HandleAsync(Keys.OrderItems(Batch));
        Assert.Equal("waiting", (string?)orders["batches"]![0]!["decision"]);
        Assert.Equal(BatchStatus.WaitingForProducts, (await sut.BatchAsync(Batch)).Status);
        Assert.Equal("waiting", (string?)items["batches"]![0]!["decision"]);

        var products = await sut.HandleAsync(Keys.Products);

        Assert.Equal("started", (string?)products["batches"]![0]!["decision"]);
        var input = Assert.Single(sut.Recorder.Started).Value;
        Assert.Equal((S3Events.Bucket, Batch, 1, "batches/2024-01-01/v0001.json", "2024-01-01-v1"), (input.Bucket, input.BatchId, input.Version, input.ManifestKey, input.ExecutionName));
        var manifest = await sut.ManifestAsync(Batch, 1);
        Assert.Equal(Keys.Products, manifest.ProductsKey);
        Assert.Equal([Keys.Orders(Batch)], manifest.OrdersKeys);
        Assert.Equal([Keys.OrderItems(Batch)], manifest.OrderItemsKeys);
        var state = await sut.BatchAsync(Batch);
        Assert.Equal((1, 1, BatchStatus.Started, Keys.Products), (state.Version, state.StartedVersion, state.Status, state.ProductsKey));
    }

    [Fact]
    public async Task HandleAsync_ProductsFirst_StartsWhenBothKindsHaveArrived()
    {
        await using var sut = await CreateSut();
        await sut.HandleAsync(Keys.Products);

        await sut.HandleAsync(Keys.Orders(Batch));
        var waiting = await sut.BatchAsync(Batch);
        Assert.Equal((BatchStatus.WaitingForFiles, "waiting for an order_items file"), (waiting.Status, (await StatusReasonAsync(sut))));
        Assert.Empty(sut.Recorder.Started);

        await sut.HandleAsync(Keys.OrderItems(Batch));

        Assert.Equal(["2024-01-01-v1"], sut.Recorder.Started.Keys);
    }

    [Fact]
    public async Task HandleAsync_DuplicateDelivery_ChangesNothingAndStartsNothingMore()
    {
        await using var sut = await CreateSut();
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch), Keys.OrderItems(Batch));
        var before = await sut.BatchAsync(Batch);

        var again = await sut.HandleAsync(Keys.Orders(Batch));
        await sut.HandleAsync(Keys.OrderItems(Batch), Keys.Orders(Batch));
        await sut.HandleAsync(Keys.Products);

        Assert.Equal("duplicate", (string?)again["records"]![0]!["outcome"]);
        Assert.Equal("up_to_date", (string?)again["batches"]![0]!["decision"]);
        var after = await sut.BatchAsync(Batch);
        Assert.Equal((before.Revision, before.Version, 1), (after.Revision, after.Version, sut.Recorder.Calls));
    }

    [Fact]
    public async Task HandleAsync_FileAfterTheBatchRan_ClaimsTheNextVersionWithEveryFile()
    {
        await using var sut = await CreateSut();
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch), Keys.OrderItems(Batch));

        var late = await sut.HandleAsync(Keys.Orders(Batch, part: 1));

        Assert.Equal(["2024-01-01-v1", "2024-01-01-v2"], sut.Recorder.Started.Keys.Order());
        Assert.Equal(2, (int?)late["batches"]![0]!["version"]);
        var manifest = await sut.ManifestAsync(Batch, 2);
        Assert.Equal([Keys.Orders(Batch), Keys.Orders(Batch, 1)], manifest.OrdersKeys);
        Assert.Single((await sut.ManifestAsync(Batch, 1)).OrdersKeys);
    }

    [Fact]
    public async Task HandleAsync_SameKeyUploadedAgain_RunsTheNextVersionButARedeliveryDoesNot()
    {
        await using var sut = await CreateSut();
        await sut.HandleAsync(Keys.Products);
        await sut.HandleAsync(S3Events.Uploaded(Keys.Orders(Batch), "0055AED6DCD90281E5"));
        await sut.HandleAsync(S3Events.Uploaded(Keys.OrderItems(Batch), "0055AED6DCD90281E6"));

        var redelivered = await sut.HandleAsync(S3Events.Uploaded(Keys.Orders(Batch), "0055AED6DCD90281E5"));
        var reuploaded = await sut.HandleAsync(S3Events.Uploaded(Keys.Orders(Batch), "0055AED6DCD90281F0"));

        Assert.Equal("duplicate", (string?)redelivered["records"]![0]!["outcome"]);
        Assert.Equal(("recorded", "started", 2), ((string?)reuploaded["records"]![0]!["outcome"], (string?)reuploaded["batches"]![0]!["decision"], (int?)reuploaded["batches"]![0]!["version"]));
        Assert.Equal(["2024-01-01-v1", "2024-01-01-v2"], sut.Recorder.Started.Keys.Order());
        Assert.Equal([Keys.Orders(Batch)], (await sut.ManifestAsync(Batch, 2)).OrdersKeys);
    }

    [Fact]
    public async Task HandleAsync_EncodedMultipartKey_RecordsTheDecodedKey()
    {
        await using var sut = await CreateSut();

        await using var output = await sut.Function.HandleAsync(S3Events.Fixture("s3-multipart-encoded.json"));
        var text = await new StreamReader(output).ReadToEndAsync();

        Assert.Contains("\"key\":\"raw/order_items/2024-01-01/part 0001 (retry)+1.csv\"", text, StringComparison.Ordinal);
        Assert.Equal(["raw/order_items/2024-01-01/part 0001 (retry)+1.csv"], (await sut.BatchAsync(Batch)).OrderItemsKeys);
    }

    [Fact]
    public async Task HandleAsync_SeveralRecords_EachRecordAndTheBatchLogged()
    {
        await using var sut = await CreateSut();

        var result = await sut.HandleAsync(S3Events.Fixture("s3-multiple-records.json"));

        Assert.Equal(["recorded", "recorded", "ignored", "products"], result["records"]!.AsArray().Select(r => (string?)r!["outcome"]));
        Assert.Equal(["2024-01-01-v1"], sut.Recorder.Started.Keys);
        Assert.Equal(4, sut.Logs.Lines.Count(l => l.EventId == 1));
        Assert.Contains(sut.Logs.Lines, l => l.EventId == 2 && l.Message.Contains("raw/orders/2024-01-01/: a folder marker", StringComparison.Ordinal));
        Assert.Contains(sut.Logs.Lines, l => l.EventId == 14 && l.Message.Contains("2024-01-01-v1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HandleAsync_UndatedFile_JoinsTheUploadDatesBatchWithAWarning()
    {
        await using var sut = await CreateSut();

        var result = await sut.HandleAsync(S3Events.Created(new DateTimeOffset(2024, 2, 29, 23, 59, 0, TimeSpan.Zero), "raw/orders/export.csv"));

        Assert.Equal("2024-02-29", (string?)result["records"]![0]!["batch_id"]);
        Assert.Equal(["raw/orders/export.csv"], (await sut.BatchAsync("2024-02-29")).OrdersKeys);
        Assert.Contains(sut.Logs.Lines, l => l.Level == LogLevel.Warning && l.EventId == 4);
    }

    [Fact]
    public async Task HandleAsync_ExpectedFilesList_StartsOnlyWhenEveryListedFileArrived()
    {
        await using var sut = await CreateSut();
        await sut.UploadAsync(Keys.ExpectedFiles(Batch), """{"orders_keys": ["part-0000.csv", "part-0001.csv"], "order_items_keys": ["part-0000.csv"]}""");
        await sut.HandleAsync(Keys.ExpectedFiles(Batch), Keys.Products);

        var partial = await sut.HandleAsync(Keys.Orders(Batch), Keys.OrderItems(Batch));
        Assert.Equal("waiting", (string?)partial["batches"]![0]!["decision"]);
        Assert.Contains("1 of 3 expected files have not arrived: raw/orders/2024-01-01/part-0001.csv", await StatusReasonAsync(sut), StringComparison.Ordinal);
        Assert.Empty(sut.Recorder.Started);

        await sut.HandleAsync(Keys.Orders(Batch, part: 1));

        Assert.Equal(["2024-01-01-v1"], sut.Recorder.Started.Keys);
        Assert.Equal(2, (await sut.ManifestAsync(Batch, 1)).OrdersKeys.Count);
    }

    [Fact]
    public async Task HandleAsync_ExpectedFilesInTheBucketBeforeItsEvent_DefaultRuleDoesNotStartTheBatch()
    {
        await using var sut = await CreateSut();
        await sut.UploadAsync(Keys.ExpectedFiles(Batch), """{"orders_keys": ["part-0000.csv", "part-0001.csv"], "order_items_keys": ["part-0000.csv"]}""");

        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch), Keys.OrderItems(Batch));

        Assert.Empty(sut.Recorder.Started);
        Assert.True((await sut.BatchAsync(Batch)).HasExpectedFiles);
        var duplicate = await sut.HandleAsync(Keys.ExpectedFiles(Batch));
        Assert.Equal("waiting", (string?)duplicate["batches"]![0]!["decision"]);
    }

    [Fact]
    public async Task HandleAsync_ExpectedFilesListAfterARunThatHadEveryFile_NoSecondRun()
    {
        await using var sut = await CreateSut();
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch), Keys.OrderItems(Batch));
        await sut.UploadAsync(Keys.ExpectedFiles(Batch), """{"orders_keys": ["part-0000.csv"], "order_items_keys": ["part-0000.csv"]}""");

        var result = await sut.HandleAsync(Keys.ExpectedFiles(Batch));

        Assert.Equal(("up_to_date", 1), ((string?)result["batches"]![0]!["decision"], (int?)result["batches"]![0]!["version"]));
        Assert.Equal(1, sut.Recorder.Calls);
        var state = await sut.BatchAsync(Batch);
        Assert.Equal((state.Revision, 1), (state.ClaimedRevision, state.Version));
    }

    [Fact]
    public async Task HandleAsync_InvalidExpectedFilesList_FailsNamingTheObjectAndTheProblem()
    {
        await using var sut = await CreateSut();
        await sut.UploadAsync(Keys.ExpectedFiles(Batch), """{"orders_keys": "part-0000.csv"}""");

        var error = await Assert.ThrowsAsync<InvalidEventException>(() => sut.HandleAsync(Keys.ExpectedFiles(Batch)));

        Assert.Contains("_manifest.json: orders_keys must be an array, found the string \"part-0000.csv\".", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated.json", "The S3 event is not valid JSON")]
    [InlineData("record-without-key.json", "Records[1].s3.object.key is missing.")]
    [InlineData("sqs-event.json", "Records[0].eventSource is 'aws:sqs'")]
    public async Task HandleAsync_MalformedEvent_FailsTheInvocationNamingTheProblem(string fixtureName, string expected)
    {
        await using var sut = await CreateSut();

        var error = await Assert.ThrowsAsync<InvalidEventException>(() => sut.HandleAsync(S3Events.Fixture(Path.Combine("malformed", fixtureName))));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(sut.Logs.Lines, l => l.Level == LogLevel.Error && l.EventId == 41 && l.Message.Contains(error.Message, StringComparison.Ordinal));
        Assert.Equal(0, sut.Recorder.Calls);
    }

    [Theory]
    [InlineData("s3-test-event.json")]
    [InlineData("s3-object-removed.json")]
    public async Task HandleAsync_NothingToRecord_EmptyResult(string fixtureName)
    {
        await using var sut = await CreateSut();

        var result = await sut.HandleAsync(S3Events.Fixture(fixtureName));

        Assert.Empty(result["records"]!.AsArray());
        Assert.Empty(result["batches"]!.AsArray());
    }

    [Fact]
    public async Task HandleAsync_CrashBetweenClaimAndStart_RetryStartsExactlyOnce()
    {
        await using var sut = await CreateSut(recorder => new CrashingStarter(recorder));
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch));

        await Assert.ThrowsAsync<InjectedCrashException>(() => sut.HandleAsync(Keys.OrderItems(Batch)));
        var claimed = await sut.BatchAsync(Batch);
        Assert.Equal((1, 0, BatchStatus.Claimed), (claimed.Version, claimed.StartedVersion, claimed.Status));
        // Lambda retries a failed asynchronous invocation a minute or more later.
        sut.Clock.Advance(TimeSpan.FromMinutes(1) + sut.Settings.InvocationBudget);

        var retry = await sut.HandleAsync(Keys.OrderItems(Batch));

        Assert.Equal("restarted", (string?)retry["batches"]![0]!["decision"]);
        Assert.Equal(["2024-01-01-v1"], sut.Recorder.Started.Keys);
        var state = await sut.BatchAsync(Batch);
        Assert.Equal((1, 1, BatchStatus.Started), (state.Version, state.StartedVersion, state.Status));
    }

    [Fact]
    public async Task HandleAsync_CrashAfterStartBeforeItWasRecorded_RetryFindsTheExecutionAndStartsNothingNew()
    {
        await using var sut = await CreateSut(recorder => new CrashingStarter(recorder, crashAfterStart: true));
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch));
        await Assert.ThrowsAsync<InjectedCrashException>(() => sut.HandleAsync(Keys.OrderItems(Batch)));
        var manifestBefore = await File.ReadAllTextAsync(sut.Lake.Describe("batches/2024-01-01/v0001.json"));
        sut.Clock.Advance(TimeSpan.FromMinutes(1) + sut.Settings.InvocationBudget);

        await sut.HandleAsync(Keys.OrderItems(Batch));

        Assert.Equal((1, 2), (sut.Recorder.Started.Count, sut.Recorder.Calls));
        Assert.Contains(sut.Logs.Lines, l => l.EventId == 15);
        Assert.Equal(manifestBefore, await File.ReadAllTextAsync(sut.Lake.Describe("batches/2024-01-01/v0001.json")));
    }

    [Fact]
    public async Task HandleAsync_DuplicateWhileTheClaimIsFresh_LeavesTheStartToTheClaimer()
    {
        await using var sut = await CreateSut(recorder => new CrashingStarter(recorder));
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batch));
        await Assert.ThrowsAsync<InjectedCrashException>(() => sut.HandleAsync(Keys.OrderItems(Batch)));
        sut.Clock.Advance(sut.Settings.InvocationBudget - TimeSpan.FromSeconds(1));

        var duplicate = await sut.HandleAsync(Keys.OrderItems(Batch));

        Assert.Equal(("start_in_progress", 1), ((string?)duplicate["batches"]![0]!["decision"], (int?)duplicate["batches"]![0]!["version"]));
        Assert.Equal(0, sut.Recorder.Calls);
    }

    private async Task<string?> StatusReasonAsync(LambdaSut sut)
    {
        using var client = fixture.CreateDynamoDbClient();
        var item = await client.GetItemAsync(sut.Settings.TrackerTable, new() { ["BatchId"] = new() { S = Batch } });
        return item.Item.TryGetValue("status_reason", out var reason) ? reason.S : null;
    }

    private Task<LambdaSut> CreateSut(Func<RecordingStarter, IExecutionStarter>? starter = null) => LambdaSut.CreateAsync(fixture, starter);
}
