using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>The clean run's KPIs of the committed sample, computed once by a separate run on its own copy of the input.</summary>
public sealed class CleanRunKpis : IAsyncLifetime
{
    private readonly TempLake _lake = new();

    public string Kpis { get; private set; } = "";

    public async Task InitializeAsync()
    {
        CrashResumeTests.CopyInput(_lake);
        var run = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");
        Assert.True(run.ExitCode == 0, run.StandardError);
        Kpis = (await KpiJobProcess.RunAsync("kpis", "--lake", _lake.Root, "--format", "json")).StandardOutput;
        Assert.Contains("2024-03-02", Kpis, StringComparison.Ordinal);
    }

    public Task DisposeAsync()
    {
        _lake.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Real crashes: a <c>kpi-job run</c> process is stopped by <c>KPI_JOB_PAUSE_AT</c> at a step boundary or in the
/// middle of a step, killed with SIGKILL there, and run again. Nothing may be stranded: the stored KPIs equal a
/// clean run's and every raw file ends in exactly one of processed/ or invalid/.
/// </summary>
public sealed class CrashResumeTests(CleanRunKpis clean) : IClassFixture<CleanRunKpis>, IDisposable
{
    private readonly TempLake _lake = new();

    private static string Sample => Path.Combine(RepositoryRoot.Find(), "samples", "shop", "raw");

    private static Dictionary<string, string> PauseAt(string point) => new() { ["KPI_JOB_PAUSE_AT"] = point };

    internal static void CopyInput(TempLake lake)
    {
        foreach (var path in Directory.EnumerateFiles(Sample, "*", SearchOption.AllDirectories))
        {
            var target = lake.PathOf("raw/" + Path.GetRelativePath(Sample, path).Replace(Path.DirectorySeparatorChar, '/'));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(path, target);
        }
    }

    /// <summary>The sample's orders and order_items files, as sub-paths below their stage folder.</summary>
    private static List<string> DailyFiles() => Directory.EnumerateFiles(Sample, "*.csv", SearchOption.AllDirectories)
        .Select(p => Path.GetRelativePath(Sample, p).Replace(Path.DirectorySeparatorChar, '/'))
        .Where(p => !p.StartsWith("products/", StringComparison.Ordinal))
        .ToList();

    private async Task<RunningKpiJob> PausedRunAsync(string point, params string[] extra)
    {
        var run = RunningKpiJob.Start(PauseAt(point), ["run", "--lake", _lake.Root, "--format", "none", .. extra]);
        await run.WaitForErrorLineAsync($"kpi-job paused at {point}");
        return run;
    }

    private void AssertNothingStranded()
    {
        foreach (var file in DailyFiles())
        {
            var places = new[] { "raw/", "validated/", "processed/", "invalid/" }.Where(stage => _lake.Exists(stage + file)).ToList();
            Assert.True(places.Count == 1 && places[0] is "processed/" or "invalid/", $"{file} is in [{string.Join(", ", places)}]");
        }
    }

    private async Task<string> StoredKpisAsync() => (await KpiJobProcess.RunAsync("kpis", "--lake", _lake.Root, "--format", "json")).StandardOutput;

    [Theory]
    [InlineData("starting", false)]
    [InlineData("claimed", true)]
    [InlineData("validating", true)]
    [InlineData("validated", true)]
    [InlineData("transforming", true)]
    [InlineData("transformed", true)]
    [InlineData("stored", true)]
    [InlineData("archiving", true)]
    [InlineData("archived", true)]
    public async Task Run_KilledAtAPointThenRunAgain_StoresTheCleanRunsKpisAndStrandsNothing(string point, bool resumes)
    {
        CopyInput(_lake);
        await using (var killed = await PausedRunAsync(point))
            await killed.KillAsync();

        var again = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");

        Assert.True(again.ExitCode == 0, again.StandardError);
        if (resumes)
            Assert.Matches(@"Resumed batch 2024-03-0\d v1 from [a-z]+", again.StandardError);
        Assert.Equal(clean.Kpis, await StoredKpisAsync());
        AssertNothingStranded();
        var third = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");
        Assert.DoesNotContain("Resumed", third.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_KilledAfterValidation_BatchesShowsTheStepAndTheNextRunResumesFromIt()
    {
        CopyInput(_lake);
        await using (var killed = await PausedRunAsync("validated"))
            await killed.KillAsync();

        var batches = await KpiJobProcess.RunAsync("batches", "--lake", _lake.Root, "--format", "json");
        var again = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");

        Assert.Contains("\"batch_id\":\"2024-03-01\",\"version\":1,\"status\":\"STARTED\",\"step\":\"validated\",\"finished\":false", batches.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Resumed batch 2024-03-01 v1 from validated", again.StandardError, StringComparison.Ordinal);
        Assert.True(_lake.Exists("processed/orders/2024-03-01/part-0000.csv"));
    }

    [Fact]
    public async Task Run_WhileAnotherRunHoldsTheLake_ExitsOneNamingTheLockAndTheHolderFinishes()
    {
        CopyInput(_lake);
        await using var holder = await PausedRunAsync("claimed");

        var loser = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");
        await holder.ContinueAsync();
        var finished = await holder.WaitForExitAsync();

        Assert.Equal(1, loser.ExitCode);
        var line = Assert.Single(loser.StandardError.Trim().Split('\n'));
        Assert.Equal($"kpi-job: another run holds this lake ({_lake.PathOf("kpi-job.lock")})", line);
        Assert.True(finished.ExitCode == 0, finished.StandardError);
        Assert.Equal(clean.Kpis, await StoredKpisAsync());
        AssertNothingStranded();
    }

    [Fact]
    public async Task Run_WithWaitWhileAnotherRunHoldsTheLake_WaitsThenFindsNothingLeft()
    {
        CopyInput(_lake);
        await using var holder = await PausedRunAsync("validated");
        await using var waiter = RunningKpiJob.Start(null, "run", "--lake", _lake.Root, "--format", "none", "--wait");
        await waiter.WaitForErrorLineAsync("Waiting: another run holds this lake");

        await holder.ContinueAsync();
        var first = await holder.WaitForExitAsync();
        var second = await waiter.WaitForExitAsync();

        Assert.Equal((0, 0), (first.ExitCode, second.ExitCode));
        Assert.DoesNotContain("Resumed", second.StandardError, StringComparison.Ordinal);
        Assert.Equal(clean.Kpis, await StoredKpisAsync());
        AssertNothingStranded();
    }

    [Fact]
    public async Task Rerun_AfterAFinishedRun_RunsTheBatchAsTheNextVersionWithTheSameKpis()
    {
        CopyInput(_lake);
        await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");

        var rerun = await KpiJobProcess.RunAsync("rerun", "--lake", _lake.Root, "--date", "2024-03-01", "--version", "1", "--format", "none");
        var stale = await KpiJobProcess.RunAsync("rerun", "--lake", _lake.Root, "--date", "2024-03-01", "--version", "1", "--format", "none");

        Assert.True(rerun.ExitCode == 0, rerun.StandardError);
        Assert.True(_lake.Exists("batches/2024-03-01/v0002.json"));
        Assert.Equal(clean.Kpis, await StoredKpisAsync());
        Assert.Equal(2, stale.ExitCode);
        Assert.Contains("is at v2, not v1", stale.StandardError, StringComparison.Ordinal);
    }

    public void Dispose() => _lake.Dispose();
}
