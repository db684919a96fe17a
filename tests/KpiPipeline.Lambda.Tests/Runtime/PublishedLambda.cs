using System.Diagnostics;
using KpiPipeline.Testing;

namespace KpiPipeline.Lambda.Tests.Runtime;

/// <summary>
/// The Lambda package exactly as it is deployed: <c>dotnet publish</c> with the options of
/// docs/deployment.md (framework-dependent, linux-arm64, no app host), once per test run, into
/// <c>.tmp/lambda-tests/publish</c> under the repository.
/// </summary>
internal static class PublishedLambda
{
    public const string EntryAssembly = "KpiPipeline.Lambda.dll";

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(5);
    private static readonly Lazy<Task<string>> Directory = new(PublishAsync);

    /// <summary>The publish folder (published on first use).</summary>
    public static Task<string> DirectoryAsync() => Directory.Value;

    private static async Task<string> PublishAsync()
    {
        var root = RepositoryRoot.Find();
        var output = Path.Combine(root, ".tmp", "lambda-tests", "publish");
        if (System.IO.Directory.Exists(output))
            System.IO.Directory.Delete(output, recursive: true);
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var argument in new[]
                 {
                     "publish", Path.Combine("lambda", "KpiPipeline.Lambda.csproj"), "--configuration", "Release",
                     "-r", "linux-arm64", "--self-contained", "false", "-p:UseAppHost=false", "--output", output, "--nologo",
                 })
        {
            startInfo.ArgumentList.Add(argument);
        }
        // The test host's MSBuild settings must not leak into a separate build.
        foreach (var name in startInfo.Environment.Keys.Where(key => key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            startInfo.Environment.Remove(name);

        using var process = Process.Start(startInfo)!;
        using var timeout = new CancellationTokenSource(PublishTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet publish of the Lambda took longer than {PublishTimeout}.");
        }
        if (process.ExitCode != 0 || !File.Exists(Path.Combine(output, EntryAssembly)))
            throw new InvalidOperationException($"dotnet publish of the Lambda failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        return output;
    }
}
