using System.Diagnostics;
using Mono.Unix.Native;

namespace KpiPipeline.Testing;

/// <summary>
/// Makes a file or folder read-only for real until disposed. Root ignores permission bits, so as root the
/// path is made immutable (<c>chattr +i</c>: even root gets EPERM); otherwise its write bits are removed.
/// </summary>
public sealed class ReadOnlyPath : IAsyncDisposable
{
    private readonly string _path;
    private readonly UnixFileMode? _mode;

    private ReadOnlyPath(string path, UnixFileMode? mode)
    {
        _path = path;
        _mode = mode;
    }

    public static bool IsRoot => Syscall.geteuid() == 0;

    public static async Task<ReadOnlyPath> MakeAsync(string path)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Read-only paths are made with chattr or Unix file modes.");
        if (IsRoot)
        {
            await ChattrAsync("+i", path);
            return new ReadOnlyPath(path, null);
        }
        var mode = File.GetUnixFileMode(path);
        File.SetUnixFileMode(path, mode & ~(UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        return new ReadOnlyPath(path, mode);
    }

    public async ValueTask DisposeAsync()
    {
        if (OperatingSystem.IsWindows())
            return;
        if (_mode is { } mode)
            File.SetUnixFileMode(_path, mode);
        else
            await ChattrAsync("-i", _path);
    }

    private static async Task ChattrAsync(string flag, string path)
    {
        using var chattr = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true })!;
        var error = await chattr.StandardError.ReadToEndAsync();
        await chattr.WaitForExitAsync();
        if (chattr.ExitCode != 0)
            throw new InvalidOperationException($"chattr {flag} {path} failed ({chattr.ExitCode}): {error.Trim()}");
    }
}
