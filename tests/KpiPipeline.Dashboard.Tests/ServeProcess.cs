using System.Diagnostics;
using System.Text.RegularExpressions;
using KpiPipeline.Testing;

namespace KpiPipeline.Dashboard.Tests;

/// <summary><c>kpi-job serve --port 0</c> as a user starts it: a process, its address read from its first line.</summary>
public sealed partial class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private ServeProcess(Process process, Uri url, Task<string> stderr)
    {
        _process = process;
        Url = url;
        _stderr = stderr;
    }

    /// <summary>The dashboard's root, ending with '/'.</summary>
    public Uri Url { get; }

    public int ProcessId => _process.Id;

    public static async Task<ServeProcess> StartAsync(params string[] arguments)
    {
        // As from a terminal, Ctrl+C's signal at its default action: a test run started in the background (nohup, `&`
        // in a script) has SIGINT ignored, every child inherits that, and the runtime rightly leaves an ignored SIGINT
        // ignored. env(1) execs the command in its place, so the process id is the server's.
        string[] command = ["env", "--default-signal=INT", .. KpiJobProcess.Command, "serve", "--port", "0", .. arguments];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot.Find() };
        foreach (var argument in command.Skip(1))
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || Address().Match(line) is not { Success: true } match)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"kpi-job serve did not report its address; stdout: '{line}', stderr: {await stderr}");
        }
        return new ServeProcess(process, new Uri(match.Value), stderr);
    }

    /// <summary>Sends a real signal (SIGTERM, SIGINT) with kill(1) and waits for the exit code.</summary>
    public async Task<int> SignalAndWaitAsync(string signal)
    {
        using (var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public Task<string> StandardErrorAsync => _stderr;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"http://[^ ]+/")]
    private static partial Regex Address();
}
