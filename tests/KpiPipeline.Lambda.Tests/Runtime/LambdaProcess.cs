using System.Collections.Concurrent;
using System.Diagnostics;
using KpiPipeline.Testing;

namespace KpiPipeline.Lambda.Tests.Runtime;

/// <summary>
/// <c>dotnet exec KpiPipeline.Lambda.dll</c> from the publish folder, as the managed runtime starts an executable assembly: no arguments, configured
/// only by environment variables (<c>AWS_LAMBDA_RUNTIME_API</c>, <c>KPI_FUNCTION</c>, the function's own).
/// Its output is collected as it comes; disposing kills it if it is still running.
/// </summary>
internal sealed class LambdaProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromMinutes(1);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private LambdaProcess(Process process)
    {
        _process = process;
    }

    public string Stdout => string.Join('\n', _stdout);

    public string Stderr => string.Join('\n', _stderr);

    public IReadOnlyCollection<string> StderrLines => _stderr;

    public bool HasExited => _process.HasExited;

    /// <param name="environment">Added to a clean AWS environment (the machine's own AWS_* variables are removed).</param>
    public static async Task<LambdaProcess> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var directory = await PublishedLambda.DirectoryAsync();
        var startInfo = new ProcessStartInfo(System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        // What the managed runtime's bootstrap runs for an executable-assembly handler.
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(Path.Combine(directory, PublishedLambda.EntryAssembly));
        foreach (var name in startInfo.Environment.Keys.Where(IsLambdaVariable).ToList())
            startInfo.Environment.Remove(name);
        foreach (var (name, value) in environment)
            startInfo.Environment[name] = value;

        var process = new Process { StartInfo = startInfo };
        var lambda = new LambdaProcess(process);
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) lambda._stdout.Enqueue(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lambda._stderr.Enqueue(line.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return lambda;
    }

    /// <summary>The environment of a function on the emulators, plus what the test adds.</summary>
    public static Dictionary<string, string> Environment(EmulatorFixture fixture, LoopbackRuntimeApi runtimeApi, string function) =>
        new(fixture.Environment)
        {
            ["AWS_LAMBDA_RUNTIME_API"] = runtimeApi.HostAndPort,
            ["KPI_FUNCTION"] = function,
            ["AWS_LAMBDA_FUNCTION_NAME"] = $"kpi-{function}",
        };

    /// <summary>Waits (at most a minute) for the process to exit by itself; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(ExitTimeout);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as Lambda does when it shuts an environment down, and waits for the exit code.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        return await WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static bool IsLambdaVariable(string name) =>
        name.StartsWith("AWS_", StringComparison.Ordinal) || name.StartsWith("_X_AMZN", StringComparison.Ordinal)
        || name is "KPI_FUNCTION" or "TRACKER_TABLE" or "LOCK_TABLE" or "STATE_MACHINE_ARN" or "STALE_BATCH_AFTER_MINUTES" or "INVOCATION_BUDGET_SECONDS";
}
