using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace KpiPipeline.Testing;

/// <summary>
/// One emulator running as a child Node process: started from a launcher script that prints
/// <c>{"port":N}</c> once it listens, polled until it answers, killed (whole tree) on dispose.
/// Its last output lines are kept so a failure to start can say why.
/// </summary>
internal sealed class EmulatorProcess : IAsyncDisposable
{
    private const int KeptOutputLines = 40;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private EmulatorProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts <paramref name="startInfo"/> and returns once the process has reported its port and
    /// <paramref name="isHealthyAsync"/> says it answers.
    /// </summary>
    /// <exception cref="InvalidOperationException">It exited, or did not come up within <paramref name="startupTimeout"/>; the message holds its output.</exception>
    public static async Task<EmulatorProcess> StartAsync(
        string name,
        ProcessStartInfo startInfo,
        Func<Uri, CancellationToken, Task<bool>> isHealthyAsync,
        TimeSpan startupTimeout,
        CancellationToken cancellationToken)
    {
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var emulator = new EmulatorProcess(name, process);
        process.OutputDataReceived += (_, e) => emulator.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => emulator.Keep(e.Data);
        try
        {
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            // stdin stays open: the launchers exit when it closes, so they die with this process.
            using var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            startup.CancelAfter(startupTimeout);
            var port = await emulator.WaitForPortAsync(startupTimeout, cancellationToken, startup.Token);
            emulator.ServiceUrl = new Uri($"http://127.0.0.1:{port}");
            await emulator.WaitUntilHealthyAsync(isHealthyAsync, startupTimeout, cancellationToken, startup.Token);
            return emulator;
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    public Uri ServiceUrl { get; private set; } = new("http://127.0.0.1");

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Never started, or already exited: nothing to kill.
        }

        using var exit = new CancellationTokenSource(ExitTimeout);
        try
        {
            await _process.WaitForExitAsync(exit.Token);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        catch (OperationCanceledException)
        {
            // Killed but not reaped in time; the OS finishes it, nothing more to do here.
        }

        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (!_port.Task.IsCompleted && TryReadPort(line, out var port))
        {
            _port.TrySetResult(port);
            return;
        }

        Keep(line);
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptOutputLines && _output.TryDequeue(out _))
        {
        }
    }

    private static bool TryReadPort(string line, out int port)
    {
        port = 0;
        if (!line.StartsWith("{\"port\":", StringComparison.Ordinal))
        {
            return false;
        }

        using var document = JsonDocument.Parse(line);
        return document.RootElement.GetProperty("port").TryGetInt32(out port);
    }

    private async Task<int> WaitForPortAsync(TimeSpan startupTimeout, CancellationToken caller, CancellationToken startup)
    {
        var exited = _process.WaitForExitAsync(startup);
        var first = await Task.WhenAny(_port.Task, exited);
        if (first == _port.Task)
        {
            return await _port.Task;
        }

        caller.ThrowIfCancellationRequested();
        if (exited.IsCompletedSuccessfully)
        {
            throw Failure($"exited with code {_process.ExitCode} before it listened");
        }

        throw Failure($"did not report its port within {startupTimeout.TotalSeconds:0} s");
    }

    private async Task WaitUntilHealthyAsync(
        Func<Uri, CancellationToken, Task<bool>> isHealthyAsync,
        TimeSpan startupTimeout,
        CancellationToken caller,
        CancellationToken startup)
    {
        string lastProblem = "no answer yet";
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(caller); // drains the output it left
                throw Failure($"exited with code {_process.ExitCode} while starting ({lastProblem})");
            }

            try
            {
                if (await isHealthyAsync(ServiceUrl, startup))
                {
                    return;
                }

                lastProblem = "health check answered not ready";
            }
            catch (HttpRequestException e)
            {
                lastProblem = e.Message;
            }
            catch (OperationCanceledException) when (startup.IsCancellationRequested && !caller.IsCancellationRequested)
            {
                throw Failure($"did not answer at {ServiceUrl} within {startupTimeout.TotalSeconds:0} s ({lastProblem})");
            }

            try
            {
                await Task.Delay(PollInterval, startup);
            }
            catch (OperationCanceledException) when (!caller.IsCancellationRequested)
            {
                throw Failure($"did not answer at {ServiceUrl} within {startupTimeout.TotalSeconds:0} s ({lastProblem})");
            }
        }
    }

    private InvalidOperationException Failure(string what)
    {
        var output = _output.IsEmpty ? "(no output)" : string.Join(Environment.NewLine, _output);
        return new InvalidOperationException(
            $"Emulator {Name} ({_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)}) {what}. " +
            $"Its last output (stderr and stdout):{Environment.NewLine}{output}");
    }
}
