using System.Diagnostics;

namespace KpiPipeline.Testing;

/// <summary>Runs the built <c>kpi-job</c> the way a user does: a new process, arguments, exit code, stdout, stderr.</summary>
public static class KpiJobProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    /// <summary>Long enough for a local state-machine run; a hung process fails the test instead of the suite.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    public static Task<Result> RunAsync(params string[] arguments) => RunAsync(null, arguments);

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var root = RepositoryRoot.Find();
        // The spark-job project's own output, with its own dependency graph (a test folder's differs).
        var command = BuiltAssembly.DotnetCommand("spark-job", "kpi-job");
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var argument in command.Skip(1).Concat(arguments))
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
