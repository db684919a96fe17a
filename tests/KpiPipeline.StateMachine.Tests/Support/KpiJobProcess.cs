using System.Diagnostics;
using KpiPipeline.Orchestration;
using KpiPipeline.Testing;

namespace KpiPipeline.StateMachine.Tests.Support;

/// <summary>The built <c>kpi-job</c> executable, run as a user runs it.</summary>
internal static class KpiJobProcess
{
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] arguments) =>
        RunAsync(new Dictionary<string, string>(), arguments);

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var root = RepositoryRoot.Find();
        var command = LocalTools.DotnetCommand(root, "spark-job", "kpi-job");
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var argument in command.Skip(1).Concat(arguments))
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(LocalPipeline.Patience);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
