using KpiPipeline.SparkJob.Cli;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>The benchmark's own guards: it never empties a folder it did not make, and its KPI comparison can fail.</summary>
public sealed class BenchCommandTests
{
    [Fact]
    public async Task Bench_DirIsAnExistingForeignFolder_RefusedAndLeftUntouched()
    {
        using var lake = new TempLake();
        var precious = Path.Combine(lake.Root, "precious.txt");
        await File.WriteAllTextAsync(precious, "keep me");

        var result = await KpiJobProcess.RunAsync("bench", "--items", "10", "--dir", lake.Root);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("was not made by bench", result.StandardError, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(precious));
    }

    [Fact]
    public void PrepareFolder_FolderBenchMade_EmptiedAndReused()
    {
        using var lake = new TempLake();
        var folder = Path.Combine(lake.Root, "bench");
        BenchCommand.PrepareFolder(folder, explicitFolder: true);
        File.WriteAllText(Path.Combine(folder, "old-run.csv"), "x");

        BenchCommand.PrepareFolder(folder, explicitFolder: true);

        Assert.False(File.Exists(Path.Combine(folder, "old-run.csv")));
    }

    [Theory]
    [InlineData("""{"daily":[{"date_key":"2024-03-01","total_orders":3,"return_rate":0.5}],"category":[]}""", null)]
    [InlineData("""{"daily":[{"date_key":"2024-03-01","total_orders":3,"return_rate":0.50}],"category":[]}""", null)]
    [InlineData("""{"daily":[{"date_key":"2024-03-01","total_orders":4,"return_rate":0.5}],"category":[]}""", "daily")]
    [InlineData("""{"daily":[],"category":[]}""", "daily: 1 rows vs 0")]
    public void KpiJsonDifference_SecondDocument_ReportsOnlyRealDifferences(string theirs, string? expectedStart)
    {
        const string Ours = """{"daily":[{"total_orders":3,"date_key":"2024-03-01","return_rate":0.5}],"category":[]}""";

        var difference = BenchCommand.KpiJsonDifference(Ours, theirs);

        if (expectedStart is null)
            Assert.Null(difference);
        else
            Assert.StartsWith(expectedStart, difference, StringComparison.Ordinal);
    }
}
