using System.IO.Enumeration;
using Mono.Unix.Native;

namespace KpiPipeline.Lake;

/// <summary>What is at a path of a local folder, judged without following a symbolic link.</summary>
public enum LocalEntryKind
{
    Missing,
    RegularFile,
    Directory,
    SymbolicLink,
    Fifo,
    Socket,
    Device,
}

/// <summary>An entry of a local folder that is not a regular file, so no object.</summary>
public sealed record SkippedEntry(string Path, LocalEntryKind Kind)
{
    /// <summary>"a symbolic link", "a FIFO (named pipe)", … for messages.</summary>
    public string Description => Kind switch
    {
        LocalEntryKind.SymbolicLink => "a symbolic link",
        LocalEntryKind.Fifo => "a FIFO (named pipe)",
        LocalEntryKind.Socket => "a socket",
        LocalEntryKind.Device => "a device",
        LocalEntryKind.Directory => "a folder",
        _ => "missing",
    };
}

/// <summary>
/// Files of a local folder as objects: regular files only. .NET reports a FIFO, a socket or a device as an
/// ordinary file (and opening a FIFO blocks until something writes to it), so the type comes from
/// <c>lstat(2)</c> (Mono.Unix), which also never follows a link.
/// </summary>
public static class LocalFiles
{
    public static LocalEntryKind KindOf(string path)
    {
        if (OperatingSystem.IsWindows())
            return KindFromAttributes(path);
        if (Syscall.lstat(path, out var status) != 0)
            return LocalEntryKind.Missing;
        return (status.st_mode & FilePermissions.S_IFMT) switch
        {
            FilePermissions.S_IFREG => LocalEntryKind.RegularFile,
            FilePermissions.S_IFDIR => LocalEntryKind.Directory,
            FilePermissions.S_IFLNK => LocalEntryKind.SymbolicLink,
            FilePermissions.S_IFIFO => LocalEntryKind.Fifo,
            FilePermissions.S_IFSOCK => LocalEntryKind.Socket,
            _ => LocalEntryKind.Device,
        };
    }

    /// <summary>
    /// Every regular file below <paramref name="folder"/>, recursively, in no particular order. Symbolic links
    /// (to files or folders) are neither followed nor listed, and neither are FIFOs, sockets or devices: each is
    /// passed to <paramref name="skipped"/> instead.
    /// </summary>
    public static IEnumerable<string> EnumerateRegularFiles(string folder, Action<SkippedEntry> skipped)
    {
        var entries = new FileSystemEnumerable<(string Path, bool Link)>(
            folder,
            (ref FileSystemEntry entry) => (entry.ToFullPath(), (entry.Attributes & FileAttributes.ReparsePoint) != 0),
            // As Directory.EnumerateFiles: hidden files too, and an unreadable folder is an error, not a gap.
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory || (entry.Attributes & FileAttributes.ReparsePoint) != 0,
            ShouldRecursePredicate = (ref FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) == 0,
        };
        foreach (var (path, link) in entries)
        {
            var kind = link ? LocalEntryKind.SymbolicLink : KindOf(path);
            if (kind == LocalEntryKind.RegularFile)
                yield return path;
            else if (kind != LocalEntryKind.Missing)
                skipped(new SkippedEntry(path, kind));
        }
    }

    private static LocalEntryKind KindFromAttributes(string path)
    {
        try
        {
            var attributes = File.GetAttributes(path);
            return (attributes & FileAttributes.ReparsePoint) != 0 ? LocalEntryKind.SymbolicLink
                : (attributes & FileAttributes.Directory) != 0 ? LocalEntryKind.Directory
                : LocalEntryKind.RegularFile;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return LocalEntryKind.Missing;
        }
    }
}
