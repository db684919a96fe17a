using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>
/// The production path on the emulators: the lake in S3 (fauxqs) and the KPIs in DynamoDB (dynalite), reached only
/// through the standard AWS environment variables, exactly as in AWS.
/// </summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed class BucketRunTests(EmulatorFixture emulators) : IDisposable
{
    private readonly TempLake _local = new();
    private readonly TempLake _state = new();

    private static string Sample => Path.Combine(RepositoryRoot.Find(), "samples", "shop", "raw");

    private async Task<Dictionary<string, string>> EnvironmentAsync()
    {
        var tables = await emulators.CreateKpiTablesAsync();
        return new Dictionary<string, string>(emulators.Environment)
        {
            ["DAILY_KPIS_TABLE"] = tables.DailyKpis,
            ["CATEGORY_KPIS_TABLE"] = tables.CategoryKpis,
            // Its own tracker table: batch ids are dates, so two tests sharing a tracker would see each other's batches.
            ["TRACKER_TABLE"] = tables.Tracker,
            ["KPI_STATE_DIR"] = _state.Root,
        };
    }

    [Fact]
    public async Task Run_OnBucket_StoresInDynamoDbWhatTheLocalRunStores()
    {
        var environment = await EnvironmentAsync();
        var bucket = await emulators.NewBucketAsync();
        var local = await KpiJobProcess.RunAsync("run", "--lake", _local.Root, "--upload", Sample, "--format", "json");

        var remote = await KpiJobProcess.RunAsync(environment, "run", "--bucket", bucket, "--upload", Sample, "--format", "json");
        var stored = await KpiJobProcess.RunAsync(environment, "kpis", "--bucket", bucket, "--format", "json");

        Assert.True(remote.ExitCode == 0, remote.StandardError);
        Assert.Equal(local.StandardOutput, remote.StandardOutput);
        Assert.Equal(local.StandardOutput, stored.StandardOutput);
    }

    [Fact]
    public async Task Run_OnBucket_ArchivesFilesAndWritesCuratedLinesInS3()
    {
        var environment = await EnvironmentAsync();
        var bucket = await emulators.NewBucketAsync();

        var run = await KpiJobProcess.RunAsync(environment, "run", "--bucket", bucket, "--upload", Sample, "--format", "none");

        Assert.True(run.ExitCode == 0, run.StandardError);
        using var s3 = emulators.CreateS3Client();
        var keys = (await s3.ListObjectsV2Async(new() { BucketName = bucket })).S3Objects.Select(o => o.Key).ToList();
        Assert.Contains("processed/order_items/2024-03-01/part-0000.csv", keys);
        Assert.Contains("curated/order_lines/date=2024-03-02/batch=2024-03-02/lines.parquet", keys);
        Assert.Contains("batches/2024-03-01/v0001.json", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("raw/order", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_BucketUnreachable_FailsWithOneLineAndRetryableExitCode()
    {
        var environment = new Dictionary<string, string>(emulators.Environment) { ["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:9" };

        var result = await KpiJobProcess.RunAsync(environment, "run", "--bucket", "nowhere", "--format", "none");

        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.StartsWith("kpi-job: ", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BucketDoesNotExist_OneLineNamingTheBucketExitOne()
    {
        var environment = await EnvironmentAsync();
        var bucket = emulators.NewName("missing");

        var result = await KpiJobProcess.RunAsync(environment, "run", "--bucket", bucket, "--format", "none");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.StartsWith($"kpi-job: S3 bucket '{bucket}' does not exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kpis_TableDoesNotExist_OneLineNamingTheTableExitOne()
    {
        var environment = new Dictionary<string, string>(await EnvironmentAsync()) { ["DAILY_KPIS_TABLE"] = emulators.NewName("missing") };
        var bucket = await emulators.NewBucketAsync();

        var result = await KpiJobProcess.RunAsync(environment, "kpis", "--bucket", bucket, "--format", "json");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.StartsWith($"kpi-job: DynamoDB table {environment["DAILY_KPIS_TABLE"]} does not exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TableDoesNotExistWhenStoring_OneLineNamingTheTableExitOne()
    {
        var environment = new Dictionary<string, string>(await EnvironmentAsync()) { ["CATEGORY_KPIS_TABLE"] = emulators.NewName("missing") };
        var bucket = await emulators.NewBucketAsync();

        var result = await KpiJobProcess.RunAsync(environment, "run", "--bucket", bucket, "--upload", Sample, "--format", "none");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.StartsWith($"kpi-job: DynamoDB table {environment["CATEGORY_KPIS_TABLE"]} does not exist", line, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _local.Dispose();
        _state.Dispose();
    }
}
