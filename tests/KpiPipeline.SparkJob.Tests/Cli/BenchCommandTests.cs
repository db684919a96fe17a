using System.Text.Json;
using KpiPipeline.SparkJob.Cli;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>
/// The benchmark's own guards: it never empties a folder it did not make, and its KPI comparison can fail. The pandas
/// comparison needs Python 3 with pandas (CI installs python3-pandas); its tests fail without it.
/// </summary>
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

    [Fact]
    public async Task Bench_ComparePandas_TimesPandasAndFindsItsKpisEqual()
    {
        var result = await KpiJobProcess.RunAsync("bench", "--items", "2000", "--days", "2", "--compare", "pandas");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("pandas peak working set", result.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"speed vs pandas \(pandas' time / ours\) +│ +[0-9]+\.[0-9]{2}× \(KPIs equal\)", result.StandardOutput);
    }

    [Fact]
    public async Task Bench_SeveralRunsWithARival_AlternatesTheToolsRoundByRound()
    {
        var result = await KpiJobProcess.RunAsync("bench", "--items", "500", "--runs", "2", "--compare", "pandas");

        Assert.True(result.ExitCode == 0, result.StandardError);
        var runs = result.StandardError.Split('\n').Select(line => System.Text.RegularExpressions.Regex.Match(line, @"^(kpi-job|pandas) run (\d)/2"))
            .Where(match => match.Success).Select(match => $"{match.Groups[1].Value} {match.Groups[2].Value}").ToList();
        Assert.Equal(["kpi-job 1", "pandas 1", "kpi-job 2", "pandas 2"], runs);
        Assert.Matches(@"speed vs pandas, medians of the runs +│ +[0-9]+\.[0-9]{2}× \([0-9.]+ s against [0-9.]+ s\)", result.StandardOutput);
    }

    [Theory]
    [InlineData(new[] { 3.0, 1.0, 2.0 }, 2.0)]
    [InlineData(new[] { 4.0, 1.0, 3.0, 2.0 }, 2.5)]
    [InlineData(new[] { 0.8 }, 0.8)]
    public void Median_Times_TheMiddleOneOrTheMeanOfTheTwoMiddleOnes(double[] seconds, double expected)
    {
        Assert.Equal(TimeSpan.FromSeconds(expected), BenchCommand.Median(seconds.Select(TimeSpan.FromSeconds)));
    }

    [Fact]
    public async Task Bench_PandasScriptOffByOneOrder_FailsAsADataErrorNamingTheDifference()
    {
        using var folder = new TempLake();
        // The real script, then one more order on the first date (a JSON string is a Python string literal too).
        var script = Path.Combine(folder.Root, "wrong_kpis.py");
        await File.WriteAllTextAsync(script, $$"""
            import re, subprocess, sys
            done = subprocess.run([sys.executable, {{JsonSerializer.Serialize(Path.Combine(RepositoryRoot.Find(), "tests", "KpiPipeline.PandasBench", "pandas_kpis.py"))}}] + sys.argv[1:],
                                  check=True, capture_output=True, text=True)
            with open(sys.argv[2], encoding="utf-8") as kpis:
                text = kpis.read()
            with open(sys.argv[2], "w", encoding="utf-8") as kpis:
                kpis.write(re.sub(r'"total_orders": (\d+)', lambda m: f'"total_orders": {int(m.group(1)) + 1}', text, count=1))
            print(done.stdout, end="")
            """);

        var result = await KpiJobProcess.RunAsync("bench", "--items", "500", "--compare", "pandas", "--pandas-script", script);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("pandas' KPIs differ from kpi-job's: daily: ", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("speed vs pandas", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_ComparePandasWithoutPandas_RefusedBeforeGeneratingNamingTheDebianPackage()
    {
        var result = await KpiJobProcess.RunAsync("bench", "--items", "10", "--compare", "pandas", "--python", "/nonexistent/python3");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("apt-get install python3-pandas", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Generating", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_CompareGivenTwice_ResolvesBothEnginesBeforeGenerating()
    {
        var result = await KpiJobProcess.RunAsync("bench", "--items", "10", "--compare", "pandas", "--compare", "duckdb", "--duckdb-tool", "/nonexistent/kpi-duckdb-bench");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--compare duckdb: /nonexistent/kpi-duckdb-bench does not exist", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Generating", result.StandardError, StringComparison.Ordinal);
    }
}
