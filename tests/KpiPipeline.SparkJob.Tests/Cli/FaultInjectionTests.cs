using Amazon.S3.Model;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>
/// <c>run --bucket</c> with a fault proxy between the job and both emulators: 5xx, throttling, dropped connections
/// and truncated bodies on a fixed share of requests. A run may fail (exit 1, never 2: nothing here is a data
/// problem); runs again converge to the clean run's KPIs with every raw file archived once.
/// </summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed class FaultInjectionTests(EmulatorFixture emulators, CleanRunKpis clean) : IClassFixture<CleanRunKpis>, IDisposable
{
    private const int MaxRuns = 12;
    private static readonly Fault[] Kinds = [Fault.ServerError, Fault.Throttling, Fault.DroppedConnection, Fault.TruncatedBody];

    private readonly TempLake _state = new();

    private static string Sample => Path.Combine(RepositoryRoot.Find(), "samples", "shop", "raw");

    /// <summary>Every <paramref name="every"/>-th request, the four kinds in turn.</summary>
    private static Func<ProxiedRequest, Fault?> Every(int every) => r => r.Number % every == 0 ? Kinds[r.Number / every % Kinds.Length] : null;

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    public async Task Run_ThroughFaultProxy_RerunsConvergeToTheCleanKpis(int every)
    {
        var tables = await emulators.CreateKpiTablesAsync();
        var bucket = await emulators.NewBucketAsync();
        using var s3 = emulators.CreateS3Client();
        foreach (var path in Directory.EnumerateFiles(Sample, "*", SearchOption.AllDirectories))
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "raw/" + Path.GetRelativePath(Sample, path).Replace(Path.DirectorySeparatorChar, '/'), FilePath = path });
        await using var s3Proxy = new FaultProxy(emulators.FauxqsUrl, Every(every));
        await using var dynamoProxy = new FaultProxy(emulators.DynamoDbUrl, Every(every));
        var direct = new Dictionary<string, string>(emulators.Environment)
        {
            ["DAILY_KPIS_TABLE"] = tables.DailyKpis,
            ["CATEGORY_KPIS_TABLE"] = tables.CategoryKpis,
            ["TRACKER_TABLE"] = tables.Tracker,
            ["KPI_STATE_DIR"] = _state.Root,
        };
        var faulty = new Dictionary<string, string>(direct)
        {
            ["AWS_ENDPOINT_URL_S3"] = s3Proxy.Url.ToString().TrimEnd('/'),
            ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamoProxy.Url.ToString().TrimEnd('/'),
        };

        var exits = new List<int>();
        var lastError = "";
        for (var run = 0; run < MaxRuns && (exits.Count == 0 || exits[^1] != 0); run++)
        {
            var result = await KpiJobProcess.RunAsync(faulty, "run", "--bucket", bucket, "--format", "none");
            exits.Add(result.ExitCode);
            lastError = result.StandardError;
            Assert.True(result.ExitCode is 0 or 1, $"run {run + 1} exited {result.ExitCode}: {result.StandardError}\n{string.Join('\n', s3Proxy.Journal.Where(l => !l.EndsWith(": 200", StringComparison.Ordinal)))}");
        }

        Assert.True(exits[^1] == 0, $"runs exited {string.Join(", ", exits)}; the last said: {lastError}");
        Assert.True(s3Proxy.FaultsInjected + dynamoProxy.FaultsInjected > 0);
        var stored = await KpiJobProcess.RunAsync(direct, "kpis", "--bucket", bucket, "--format", "json");
        Assert.Equal(clean.Kpis, stored.StandardOutput);
        var keys = (await s3.ListObjectsV2Async(new() { BucketName = bucket })).S3Objects.Select(o => o.Key).ToHashSet();
        foreach (var file in Directory.EnumerateFiles(Sample, "part-*.csv", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(Sample, p).Replace(Path.DirectorySeparatorChar, '/')))
        {
            var places = new[] { "raw/", "validated/", "processed/", "invalid/" }.Where(stage => keys.Contains(stage + file)).ToList();
            Assert.True(places is ["processed/"] or ["invalid/"], $"{file} is in [{string.Join(", ", places)}] after runs exiting {string.Join(", ", exits)}");
        }
    }

    public void Dispose() => _state.Dispose();
}
