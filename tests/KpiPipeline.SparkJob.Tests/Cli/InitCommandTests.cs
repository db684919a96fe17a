using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using KpiPipeline.Stores;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary><c>kpi-job init --bucket</c> on the emulators: what a bucket-backed run needs, created where missing.</summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed class InitCommandTests(EmulatorFixture emulators)
{
    private static CancellationToken Ct => CancellationToken.None;

    /// <summary>New, not yet existing table names, as the variables every deployable reads.</summary>
    private Dictionary<string, string> FreshEnvironment() => new(emulators.Environment)
    {
        ["DAILY_KPIS_TABLE"] = emulators.NewName("daily"),
        ["CATEGORY_KPIS_TABLE"] = emulators.NewName("category"),
        ["TRACKER_TABLE"] = emulators.NewName("tracker"),
        ["LOCK_TABLE"] = emulators.NewName("locks"),
    };

    private static IEnumerable<(string Table, DynamoDbTableLayout Layout)> Expected(Dictionary<string, string> environment) =>
    [
        (environment["DAILY_KPIS_TABLE"], PipelineTables.DailyKpis),
        (environment["CATEGORY_KPIS_TABLE"], PipelineTables.CategoryKpis),
        (environment["TRACKER_TABLE"], PipelineTables.BatchFileTracker),
        (environment["LOCK_TABLE"], PipelineTables.BatchDateLocks),
    ];

    [Fact]
    public async Task Init_NothingExists_CreatesBucketAndTablesWithTheStackLayouts()
    {
        var environment = FreshEnvironment();
        var bucket = emulators.NewName("init");

        var result = await KpiJobProcess.RunAsync(environment, "init", "--bucket", bucket);

        Assert.True(result.ExitCode == 0, result.StandardError);
        using var s3 = emulators.CreateS3Client();
        Assert.Contains(bucket, (await s3.ListBucketsAsync(Ct)).Buckets.Select(b => b.BucketName));
        using var dynamo = emulators.CreateDynamoDbClient();
        foreach (var (table, layout) in Expected(environment))
        {
            var described = (await dynamo.DescribeTableAsync(table, Ct)).Table;
            Assert.True(layout.Matches(described), $"{table} does not have {layout.Describe()}");
            Assert.Equal(TableStatus.ACTIVE, described.TableStatus);
            Assert.Contains($"created table {table}", result.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Init_RunTwice_SecondSucceedsAndCreatesNothing()
    {
        var environment = FreshEnvironment();
        var bucket = emulators.NewName("init");
        await KpiJobProcess.RunAsync(environment, "init", "--bucket", bucket);

        var second = await KpiJobProcess.RunAsync(environment, "init", "--bucket", bucket);

        Assert.True(second.ExitCode == 0, second.StandardError);
        Assert.DoesNotContain("created", second.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(5, second.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(line => line.StartsWith("exists", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Init_TableExistsWithOtherKeys_ExitOneNamingTableAndKeysAndLeavesItAlone()
    {
        var environment = FreshEnvironment();
        var wrong = environment["CATEGORY_KPIS_TABLE"];
        using var dynamo = emulators.CreateDynamoDbClient();
        await dynamo.CreateTableAsync(PipelineTables.BatchFileTracker.ToCreateTableRequest(wrong), Ct);

        var result = await KpiJobProcess.RunAsync(environment, "init", "--bucket", emulators.NewName("init"));

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.StartsWith($"kpi-job: DynamoDB table {wrong} exists with key BatchId", line, StringComparison.Ordinal);
        Assert.Contains(PipelineTables.CategoryKpis.Describe(), line, StringComparison.Ordinal);
        var after = (await dynamo.DescribeTableAsync(wrong, Ct)).Table;
        Assert.True(PipelineTables.BatchFileTracker.Matches(after));
    }

    [Fact]
    public async Task Run_AfterInit_SucceedsOnTheBucket()
    {
        var environment = FreshEnvironment();
        var bucket = emulators.NewName("init");
        await KpiJobProcess.RunAsync(environment, "init", "--bucket", bucket);

        var run = await KpiJobProcess.RunAsync(environment, "run", "--bucket", bucket,
            "--upload", Path.Combine(RepositoryRoot.Find(), "samples", "shop", "raw"), "--format", "none");

        Assert.True(run.ExitCode == 0, run.StandardError);
    }
}
