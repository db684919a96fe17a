using System.Diagnostics;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>
/// The README's C# script examples: samples/recompute.cs, and the shorter copy in the README itself (read from
/// README.md), each compiled and run on a lake after a run.
/// </summary>
public sealed class ScriptTests : IDisposable
{
    private readonly TempLake _lake = new();
    private readonly TempLake _work = new();

    [Fact]
    public async Task ReadmeScript_AsWritten_RecomputesTheStoredKpis()
    {
        var root = RepositoryRoot.Find();
        var snippet = ReadmeTests.FencedBlocks(File.ReadAllText(Path.Combine(root, "README.md")), "csharp")
            .Single(b => b.Contains("Recomputation.RunAsync", StringComparison.Ordinal));
        // The snippet's paths are relative to samples/ (its project references) and to the current folder (its lake).
        var script = Path.Combine(_work.Root, "readme.cs");
        await File.WriteAllTextAsync(script, snippet.Replace("#:project ../", $"#:project {root}/", StringComparison.Ordinal));
        var lake = Path.Combine(_work.Root, ".tmp", "lake");
        await KpiJobProcess.RunAsync("run", "--lake", lake, "--upload", Path.Combine(root, "samples", "shop", "raw"), "--format", "none");
        var before = await KpiJobProcess.RunAsync("kpis", "--lake", lake, "--format", "json");
        File.Delete(Path.Combine(lake, "kpis.db"));

        var (exitCode, _, stderr) = await DotnetRunAsync(_work.Root, "run", script);

        Assert.True(exitCode == 0, stderr);
        var after = await KpiJobProcess.RunAsync("kpis", "--lake", lake, "--format", "json");
        Assert.Equal(before.StandardOutput, after.StandardOutput);
    }

    private static async Task<(int ExitCode, string StandardOutput, string StandardError)> DotnetRunAsync(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task RecomputeScript_AfterARun_PrintsTheSampleKpis()
    {
        var root = RepositoryRoot.Find();
        await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--upload", Path.Combine(root, "samples", "shop", "raw"), "--format", "none");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var argument in new[] { "run", "samples/recompute.cs", "--", _lake.Root, "2024-03-01", "2024-03-31" })
            start.ArgumentList.Add(argument);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, await stderr);
        var output = await stdout;
        Assert.Contains("2024-03-01  orders     13  revenue     2,513.47  returns 30.77 %", output, StringComparison.Ordinal);
        Assert.Contains("2024-03-02  orders     11  revenue     2,604.72  returns 0.00 %", output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _lake.Dispose();
        _work.Dispose();
    }
}
