using KpiPipeline.Testing;
using Microsoft.Data.Sqlite;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>
/// A lake processed by a kpi-job without batch tracking (manifests and processed files, no tracker table) keeps
/// its batches: a late file of a date it already processed makes that batch's next version with every file,
/// never a v1 holding only the late file (which would replace the date's curated lines and lose the rest).
/// </summary>
public sealed class UntrackedLakeTests(CleanRunKpis clean) : IClassFixture<CleanRunKpis>, IDisposable
{
    private static readonly string[] LateFiles = ["orders/2024-03-01/part-0001.csv", "order_items/2024-03-01/part-0001.csv"];

    private readonly TempLake _lake = new();

    [Fact]
    public async Task Run_LateFileInALakeProcessedWithoutTracking_AddsToTheBatchAndStoresTheCleanRunsKpis()
    {
        CrashResumeTests.CopyInput(_lake);
        var held = LateFiles.ToDictionary(file => file, file => File.ReadAllBytes(_lake.PathOf("raw/" + file)));
        foreach (var file in LateFiles)
            File.Delete(_lake.PathOf("raw/" + file));
        var first = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");
        Assert.True(first.ExitCode == 0, first.StandardError);
        var firstManifest = File.ReadAllText(_lake.PathOf("batches/2024-03-01/v0001.json"));
        ForgetBatchTracking();

        foreach (var (file, bytes) in held)
            File.WriteAllBytes(_lake.PathOf("raw/" + file), bytes);
        var late = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");

        Assert.True(late.ExitCode == 0, late.StandardError);
        Assert.Contains("Adopted batch 2024-03-01 v1", late.StandardError, StringComparison.Ordinal);
        Assert.Equal(firstManifest, File.ReadAllText(_lake.PathOf("batches/2024-03-01/v0001.json")));
        var second = File.ReadAllText(_lake.PathOf("batches/2024-03-01/v0002.json"));
        Assert.Contains("raw/order_items/2024-03-01/part-0000.csv", second, StringComparison.Ordinal);
        Assert.Contains("raw/order_items/2024-03-01/part-0001.csv", second, StringComparison.Ordinal);
        var stored = (await KpiJobProcess.RunAsync("kpis", "--lake", _lake.Root, "--format", "json")).StandardOutput;
        Assert.Equal(clean.Kpis, stored);
    }

    /// <summary>What a lake made before batch tracking looks like: the KPI database without the tracker table.</summary>
    private void ForgetBatchTracking()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _lake.PathOf("kpis.db"), Pooling = false }.ToString());
        connection.Open();
        using var drop = connection.CreateCommand();
        drop.CommandText = "DROP TABLE BatchFileTracker";
        drop.ExecuteNonQuery();
    }

    public void Dispose() => _lake.Dispose();
}
