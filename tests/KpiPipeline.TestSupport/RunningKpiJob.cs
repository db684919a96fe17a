using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace KpiPipeline.Testing;

/// <summary>
/// A <c>kpi-job</c> process a test drives while it runs: reads its standard error line by line (to see where it
/// is, e.g. the <c>KPI_JOB_PAUSE_AT</c> marker), kills it with SIGKILL, or lets it go on by a line on standard input.
/// </summary>
public sealed class RunningKpiJob : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _errorLines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _error = new();
    private readonly Task<string> _output;
    private readonly Task _errorPump;

    private RunningKpiJob(Process process)
    {
        _process = process;
        _output = process.StandardOutput.ReadToEndAsync();
        _errorPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (_error)
                    _error.AppendLine(line);
                await _errorLines.Writer.WriteAsync(line);
            }
            _errorLines.Writer.Complete();
        });
    }

    public int Id => _process.Id;

    public static RunningKpiJob Start(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var command = KpiJobProcess.Command;
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = RepositoryRoot.Find(),
        };
        foreach (var argument in command.Skip(1).Concat(arguments))
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        return new RunningKpiJob(Process.Start(start)!);
    }

    /// <summary>Waits for a standard error line containing <paramref name="text"/>; fails if the process ends first.</summary>
    public async Task<string> WaitForErrorLineAsync(string text)
    {
        using var timeout = new CancellationTokenSource(KpiJobProcess.Patience);
        try
        {
            await foreach (var line in _errorLines.Reader.ReadAllAsync(timeout.Token))
            {
                if (line.Contains(text, StringComparison.Ordinal))
                    return line;
            }
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kpi-job did not write '{text}' within {KpiJobProcess.Patience}; it was killed. Standard error:\n{ErrorSoFar()}");
        }
        await _process.WaitForExitAsync();
        throw new InvalidOperationException($"kpi-job exited ({_process.ExitCode}) without writing '{text}'. Standard error:\n{ErrorSoFar()}");
    }

    /// <summary>SIGKILL on Unix: no handler, no cleanup, as a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Lets a paused process go on.</summary>
    public async Task ContinueAsync()
    {
        await _process.StandardInput.WriteLineAsync();
        await _process.StandardInput.FlushAsync();
    }

    public async Task<KpiJobProcess.Result> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(KpiJobProcess.Patience);
        await _process.WaitForExitAsync(timeout.Token);
        await _errorPump;
        return new KpiJobProcess.Result(_process.ExitCode, await _output, ErrorSoFar());
    }

    private string ErrorSoFar()
    {
        lock (_error)
            return _error.ToString();
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
}
