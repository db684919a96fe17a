namespace KpiPipeline.Pipeline;

/// <summary>Another run holds the lake: an infrastructure condition (exit 1), which passes when that run ends.</summary>
public sealed class LakeBusyException(string path) : IOException($"another run holds this lake ({path})")
{
    public string Path { get; } = path;
}

/// <summary>
/// One run per lake: an exclusive OS lock (<c>flock</c> on Linux, taken by <see cref="FileShare.None"/>) on a
/// file. The kernel drops it when the holder exits for any reason, kill -9 included, so a dead run never
/// blocks the next one and no lease needs to expire.
/// </summary>
public sealed class LakeLock : IDisposable
{
    private static readonly TimeSpan RetryEvery = TimeSpan.FromMilliseconds(100);

    private readonly FileStream _file;

    private LakeLock(FileStream file) => _file = file;

    /// <param name="wait">Wait until the holder ends instead of failing with <see cref="LakeBusyException"/>.</param>
    /// <param name="waiting">Called once when the lock is held elsewhere and this call waits.</param>
    public static async Task<LakeLock> AcquireAsync(string path, bool wait, TimeProvider clock, Action? waiting, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var told = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryOpen(path) is { } file)
            {
                // For people looking at the file: who holds it.
                file.SetLength(0);
                var pid = System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
                file.Write(pid);
                file.Flush();
                return new LakeLock(file);
            }
            if (!wait)
                throw new LakeBusyException(path);
            if (!told)
            {
                waiting?.Invoke();
                told = true;
            }
            // The OS offers no portable wait for a flock held by another process; poll it.
            await Task.Delay(RetryEvery, clock, cancellationToken).ConfigureAwait(false);
        }
    }

    private static FileStream? TryOpen(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsHeldElsewhere(e))
        {
            return null;
        }
    }

    /// <summary>EWOULDBLOCK from flock, which .NET reports as a sharing violation.</summary>
    private static bool IsHeldElsewhere(IOException e) => (e.HResult & 0xFFFF) is 32 or 33 or 11 && e is not FileNotFoundException and not DirectoryNotFoundException;

    public void Dispose() => _file.Dispose();
}
