using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiPipeline.Lake;

/// <summary>
/// A folder on disk standing in for the bucket: the embedded default. Only regular files are objects:
/// a symbolic link (to a file or a folder), a FIFO, a socket or a device inside the lake is reported once and
/// otherwise left alone — never listed, followed, read, moved or deleted — so a link cannot make the
/// pipeline touch files outside the lake, and a FIFO cannot block it.
/// </summary>
public sealed partial class LocalObjectStore : IObjectStore
{
    private readonly string _root;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, LocalEntryKind> _skipped = new(StringComparer.Ordinal);

    public LocalObjectStore(string root, ILogger<LocalObjectStore>? logger = null)
    {
        _root = Path.GetFullPath(root);
        _logger = logger ?? NullLogger<LocalObjectStore>.Instance;
    }

    public string Root => _root;

    /// <summary>The entries this store met that are not regular files (reported once each), by path.</summary>
    public IReadOnlyDictionary<string, LocalEntryKind> Skipped => _skipped;

    public string Describe(string key) => Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // List the deepest folder the prefix names, then filter by the full prefix.
        var slash = prefix.LastIndexOf('/');
        var folder = slash <= 0 ? _root : PathOf(prefix[..slash]);
        if (Inspect(folder) is { Kind: not LocalEntryKind.Directory } blocker)
        {
            if (blocker.Kind is not (LocalEntryKind.Missing or LocalEntryKind.RegularFile))
                Report(blocker);
            yield break;
        }
        var keys = LocalFiles.EnumerateRegularFiles(folder, Report)
            .Select(path => Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(key => key.StartsWith(prefix, StringComparison.Ordinal) && !IsTemporary(key))
            .Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(Describe(key));
            if (info.Exists)
                yield return new ObjectInfo(key, info.Length) { Stamp = info.LastWriteTimeUtc.ToString("O", System.Globalization.CultureInfo.InvariantCulture) };
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => Task.FromResult(RegularFile(key) is not null);

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = RegularFile(key) ?? throw NotFound(key);
        try
        {
            Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
            return Task.FromResult(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(path);
        }
    }

    public Task<IObjectWriter> CreateAsync(string key, CancellationToken cancellationToken)
    {
        var path = WritablePath(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return Task.FromResult<IObjectWriter>(new LocalObjectWriter(path));
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await using var writer = await CreateAsync(key, cancellationToken).ConfigureAwait(false);
        await writer.Stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
        await writer.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<bool> MoveAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        var destination = WritablePath(destinationKey);
        var source = RegularFile(sourceKey);
        if (source is null)
        {
            // Gone (moved already) or not an object at all: a link or a FIFO is never moved.
            return RegularFile(destinationKey) is not null ? Task.FromResult(false) : throw NotFound(sourceKey);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        try
        {
            // rename(2) is atomic: a concurrent mover either wins or finds the source gone.
            File.Move(source, destination, overwrite: true);
            return Task.FromResult(true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            if (File.Exists(destination))
                return Task.FromResult(false);
            throw new ObjectNotFoundException(source);
        }
        catch (UnauthorizedAccessException e)
        {
            // .NET names only the destination, though it may be the source's folder that cannot change.
            throw new UnauthorizedAccessException($"{source} cannot be moved to {destination} ({e.InnerException?.Message ?? e.Message})", e);
        }
    }

    public async Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        await using var source = await OpenReadAsync(sourceKey, cancellationToken).ConfigureAwait(false);
        await using var writer = await CreateAsync(destinationKey, cancellationToken).ConfigureAwait(false);
        await source.CopyToAsync(writer.Stream, cancellationToken).ConfigureAwait(false);
        await writer.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        // Deleting a missing object is not an error; deleting a link or a FIFO is not this store's to do.
        if (RegularFile(key) is { } path)
            File.Delete(path);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Removes the temporary files of writes that never finished (a killed process leaves them behind) that were
    /// last written before <paramref name="olderThan"/>, the start of the run: a write still going on is newer.
    /// </summary>
    /// <returns>The removed files' paths.</returns>
    public Task<IReadOnlyList<string>> RemoveStalePartialFilesAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var removed = new List<string>();
        // Links and FIFOs are reported where they would be listed as objects, not by this sweep.
        foreach (var path in LocalFiles.EnumerateRegularFiles(_root, _ => { }))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!WriterTemporary().IsMatch(Path.GetFileName(path)) || File.GetLastWriteTimeUtc(path) >= olderThan.UtcDateTime)
                continue;
            File.Delete(path);
            removed.Add(path);
            Log.StalePartialRemoved(_logger, path);
        }
        return Task.FromResult<IReadOnlyList<string>>(removed);
    }

    /// <summary>The key's path when it is a regular file reached without a link; null otherwise (reported unless simply missing).</summary>
    private string? RegularFile(string key)
    {
        var path = PathOf(key);
        var found = Inspect(path);
        if (found.Kind == LocalEntryKind.RegularFile)
            return path;
        if (found.Kind is not (LocalEntryKind.Missing or LocalEntryKind.Directory))
            Report(found);
        return null;
    }

    private ObjectNotFoundException NotFound(string key)
    {
        var path = Describe(key);
        foreach (var (skipped, kind) in _skipped)
        {
            if (path == skipped || path.StartsWith(skipped + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                return new ObjectNotFoundException(path, $"{new SkippedEntry(skipped, kind).Description} is in its place, and the lake reads regular files only");
        }
        return new ObjectNotFoundException(path);
    }

    /// <summary>The key's path, to be written: refused when a folder on the way is a symbolic link, which would lead out of the lake.</summary>
    private string WritablePath(string key)
    {
        var path = PathOf(key);
        var folder = Inspect(Path.GetDirectoryName(path)!);
        if (folder.Kind is LocalEntryKind.SymbolicLink)
        {
            Report(folder);
            throw new IOException($"{path} cannot be written: {folder.Path} is a symbolic link, and the lake does not follow links.");
        }
        return path;
    }

    /// <summary>
    /// What is at <paramref name="path"/>, walking down from the lake's root without following links: the
    /// first symbolic link (or FIFO, …) on the way, the first missing part, or the entry itself.
    /// </summary>
    private SkippedEntry Inspect(string path)
    {
        var relative = Path.GetRelativePath(_root, path);
        if (relative == ".")
            return new SkippedEntry(_root, LocalEntryKind.Directory);
        var current = _root;
        var parts = relative.Split(Path.DirectorySeparatorChar);
        for (var i = 0; i < parts.Length; i++)
        {
            current = Path.Combine(current, parts[i]);
            var kind = LocalFiles.KindOf(current);
            if (i == parts.Length - 1)
                return new SkippedEntry(current, kind);
            if (kind == LocalEntryKind.SymbolicLink)
                return new SkippedEntry(current, kind);
            if (kind != LocalEntryKind.Directory)
                break;
        }
        // A part on the way is missing or no folder: nothing is at the path.
        return new SkippedEntry(path, LocalEntryKind.Missing);
    }

    private void Report(SkippedEntry entry)
    {
        if (_skipped.TryAdd(entry.Path, entry.Kind))
            Log.EntrySkipped(_logger, entry.Path, entry.Description);
    }

    private string PathOf(string key)
    {
        ObjectKeys.Validate(key);
        if (Path.DirectorySeparatorChar != '/' && key.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidObjectKeyException(key, $"'{Path.DirectorySeparatorChar}' separates folders on this system");
        return Describe(key);
    }

    private static bool IsTemporary(string key) => key.EndsWith(".partial", StringComparison.Ordinal);

    /// <summary>The name <see cref="LocalObjectWriter"/> gives its temporary file: the object's name, a GUID, <c>.partial</c>.</summary>
    [GeneratedRegex(@"\.[0-9a-f]{32}\.partial\z", RegexOptions.CultureInvariant)]
    private static partial Regex WriterTemporary();

    private sealed class LocalObjectWriter : IObjectWriter
    {
        private readonly string _path;
        private readonly string _temporaryPath;
        private readonly FileStream _stream;
        private bool _committed;

        public LocalObjectWriter(string path)
        {
            _path = path;
            _temporaryPath = $"{path}.{Guid.NewGuid():N}.partial";
            _stream = new FileStream(_temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        }

        public Stream Stream => _stream;

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
            File.Move(_temporaryPath, _path, overwrite: true);
            _committed = true;
        }

        public async ValueTask DisposeAsync()
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            if (!_committed)
                File.Delete(_temporaryPath);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Skipped {Path}: it is {What}, not a regular file; the lake neither follows, reads nor moves it")]
        public static partial void EntrySkipped(ILogger logger, string path, string what);

        [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "Removed {Path}: left by a write that never finished")]
        public static partial void StalePartialRemoved(ILogger logger, string path);
    }
}
