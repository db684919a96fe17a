using System.Diagnostics;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>The README's C# script example (samples/recompute.cs) compiles and recomputes the sample's KPIs.</summary>
public sealed class ScriptTests : IDisposable
{
    private readonly TempLake _lake = new();

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

    public void Dispose() => _lake.Dispose();
}
