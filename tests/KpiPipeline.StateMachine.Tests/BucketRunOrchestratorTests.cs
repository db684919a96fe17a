using System.Text.Json.Nodes;
using KpiPipeline.StateMachine.Tests.Support;
using KpiPipeline.Testing;

namespace KpiPipeline.StateMachine.Tests;

/// <summary><c>kpi-job run --bucket … --orchestrator local-sfn</c> on the emulators: S3 in fauxqs, leases and KPIs in dynalite, SNS in fauxqs.</summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed class BucketRunOrchestratorTests(EmulatorFixture emulators)
{
    [Fact]
    public async Task Run_LocalSfnOnABucket_StoresTheExpectedKpisAndPublishesTheSuccess()
    {
        using var pipeline = await LocalPipeline.CreateAsync(emulators);
        var day = ShopDay.Good();
        using var upload = new TempLake();
        foreach (var (key, content) in day.Files)
            upload.Write(key["raw/".Length..], content);
        var environment = new Dictionary<string, string>(emulators.Environment)
        {
            ["KPI_LOCAL_SUCCESS_TOPIC_ARN"] = pipeline.SuccessTopicArn,
            ["KPI_LOCAL_FAILURE_TOPIC_ARN"] = pipeline.FailureTopicArn,
        };
        foreach (var (name, value) in pipeline.Tables.ToEnvironment())
            environment[name] = value;

        var run = await KpiJobProcess.RunAsync(environment, "run", "--bucket", pipeline.Bucket, "--upload", upload.Root, "--orchestrator", "local-sfn", "--format", "none");

        Assert.True(run.ExitCode == 0, run.StandardError);
        var expected = await day.ExpectedKpisAsync();
        var stored = await pipeline.ReadKpisAsync();
        Assert.Equal(expected.Daily, stored.Daily);
        Assert.Equal(expected.Category, stored.Category);
        var notification = Assert.Single(await emulators.Messaging.WaitForNotificationsAsync(pipeline.SuccessInbox.Url, 1, TimeSpan.FromSeconds(30)));
        Assert.Equal("2024-01-01-v1", (string?)JsonNode.Parse(notification.Message)!["execution"]);
        Assert.False(await pipeline.LockItemExistsAsync(day.BatchId));
    }
}
