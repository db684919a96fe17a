using System.Runtime.CompilerServices;

namespace KpiPipeline.Lake;

/// <summary>A folder on disk standing in for the bucket: the embedded default.</summary>
public sealed class LocalObjectStore : IObjectStore
{
    private readonly string _root;

    public LocalObjectStore(string root)
    {
        _root = Path.GetFullPath(root);
    }

    public string Root => _root;

    public string Describe(string key) => PathOf(key);

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // List the deepest existing folder the prefix names, then filter by the full prefix.
        var slash = prefix.LastIndexOf('/');
        var folder = slash < 0 ? _root : PathOf(prefix[..slash]);
        if (!Directory.Exists(folder))
            yield break;
        var keys = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(key => key.StartsWith(prefix, StringComparison.Ordinal) && !IsTemporary(key))
            .Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(PathOf(key));
            if (info.Exists)
                yield return new ObjectInfo(key, info.Length);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathOf(key)));

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
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
        var path = PathOf(key);
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
        var source = PathOf(sourceKey);
        var destination = PathOf(destinationKey);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        try
        {
            // rename(2) is atomic: a concurrent mover either wins or finds the source gone.
            File.Move(source, destination, overwrite: true);
            return Task.FromResult(true);
        }
        catch (FileNotFoundException) when (File.Exists(destination))
        {
            return Task.FromResult(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            if (File.Exists(destination))
                return Task.FromResult(false);
            throw new ObjectNotFoundException(source);
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
        try
        {
            File.Delete(PathOf(key));
        }
        catch (DirectoryNotFoundException)
        {
            // No folder, no object: deleting a missing object is not an error.
        }
        return Task.CompletedTask;
    }

    private string PathOf(string key)
    {
        if (key.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(key))
            throw new ArgumentException($"'{key}' is not a key inside the lake.", nameof(key));
        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    private static bool IsTemporary(string key) => key.EndsWith(".partial", StringComparison.Ordinal);

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
}
