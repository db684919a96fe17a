using System.Diagnostics;
using KpiPipeline.Orchestration;

namespace KpiPipeline.Testing;

/// <summary>Runs the built <c>kpi-job</c> the way a user does: a new process, arguments, exit code, stdout, stderr.</summary>
public static class KpiJobProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    /// <summary>Long enough for a local state-machine run; a hung process fails the test instead of the suite.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    /// <summary>The command line that starts the built kpi-job (the spark-job project's own output and dependency graph).</summary>
    public static IReadOnlyList<string> Command => BuiltAssembly.DotnetCommand(RepositoryRoot.Find(), "spark-job", "kpi-job");

    public static Task<Result> RunAsync(params string[] arguments) => RunAsync(null, arguments);

    public static Task<Result> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        RunCommandAsync([.. Command, .. arguments], environment);

    /// <summary>Runs any command line (another deployable, or kpi-job under a wrapper such as <c>unshare</c>) from the repository root.</summary>
    public static async Task<Result> RunCommandAsync(IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot.Find() };
        foreach (var argument in command.Skip(1))
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A hang is the failure being looked for: end it (and what it started) and say so.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', command)} did not exit within {Patience}; it was killed.");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
