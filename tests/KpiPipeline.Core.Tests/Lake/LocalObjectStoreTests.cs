using KpiPipeline.Lake;
using KpiPipeline.Testing;
using Mono.Unix.Native;

namespace KpiPipeline.Core.Tests.Lake;

/// <summary>
/// The contract on a folder, and what only a folder has: real symbolic links and FIFOs made on disk are
/// reported and skipped, never followed, read, moved or deleted; stale temporary files are cleaned up.
/// </summary>
public sealed class LocalObjectStoreTests : ObjectStoreContract, IDisposable
{
    private readonly TempLake _lake = new();
    private readonly TempLake _outside = new();

    protected override Task<IObjectStore> CreateSutAsync() => Task.FromResult<IObjectStore>(_lake.Store);

    public void Dispose()
    {
        _lake.Dispose();
        _outside.Dispose();
    }

    [Fact]
    public async Task ListAsync_SymlinkedFolderInsideRaw_NotFollowedAndReported()
    {
        _outside.Write("elsewhere/part-0000.csv", "order_id\n1\n");
        _lake.Write("raw/orders/2024-03-01/part-0000.csv", "order_id\n2\n");
        var link = _lake.PathOf("raw/orders/2024-03-02");
        Directory.CreateSymbolicLink(link, _outside.PathOf("elsewhere"));

        var keys = await ListAsync("raw/");

        Assert.Equal(["raw/orders/2024-03-01/part-0000.csv"], keys);
        Assert.Equal(LocalEntryKind.SymbolicLink, _lake.Store.Skipped[link]);
        Assert.Empty(await ListAsync("raw/orders/2024-03-02/"));
    }

    [Fact]
    public async Task EveryOperation_FileBehindASymlinkedFolder_NeitherReadMovedNorDeleted()
    {
        _outside.Write("elsewhere/part-0000.csv", "outside");
        Directory.CreateDirectory(_lake.PathOf("raw/orders"));
        Directory.CreateSymbolicLink(_lake.PathOf("raw/orders/2024-03-02"), _outside.PathOf("elsewhere"));
        const string key = "raw/orders/2024-03-02/part-0000.csv";

        var exists = await _lake.Store.ExistsAsync(key, CancellationToken.None);
        var read = await Assert.ThrowsAsync<ObjectNotFoundException>(() => _lake.Store.OpenReadAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _lake.Store.MoveAsync(key, "validated/orders/2024-03-02/part-0000.csv", CancellationToken.None));
        await _lake.Store.DeleteAsync(key, CancellationToken.None);

        Assert.False(exists);
        Assert.Contains("a symbolic link is in its place", read.Message, StringComparison.Ordinal);
        Assert.Equal("outside", _outside.Read("elsewhere/part-0000.csv"));
        Assert.False(_lake.Exists("validated/orders/2024-03-02/part-0000.csv"));
    }

    [Fact]
    public async Task CreateAsync_FolderOnTheWayIsASymlink_RefusedAndNothingWrittenOutside()
    {
        Directory.CreateDirectory(_lake.PathOf("validated"));
        Directory.CreateDirectory(_outside.PathOf("elsewhere"));
        Directory.CreateSymbolicLink(_lake.PathOf("validated/orders"), _outside.PathOf("elsewhere"));

        var error = await Assert.ThrowsAsync<IOException>(() =>
            _lake.Store.PutAsync("validated/orders/2024-03-01/part-0000.csv", "x"u8.ToArray(), CancellationToken.None));

        Assert.Contains("is a symbolic link", error.Message, StringComparison.Ordinal);
        Assert.Empty(_outside.Keys());
    }

    [Fact]
    public async Task EveryOperation_SymlinkToAFile_SkippedAndLeftInPlace()
    {
        _outside.Write("secret.csv", "outside");
        Directory.CreateDirectory(_lake.PathOf("raw/orders/2024-03-01"));
        var link = _lake.PathOf("raw/orders/2024-03-01/link.csv");
        File.CreateSymbolicLink(link, _outside.PathOf("secret.csv"));
        const string key = "raw/orders/2024-03-01/link.csv";

        var keys = await ListAsync("raw/");
        var exists = await _lake.Store.ExistsAsync(key, CancellationToken.None);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _lake.Store.MoveAsync(key, "invalid/orders/2024-03-01/link.csv", CancellationToken.None));
        await _lake.Store.DeleteAsync(key, CancellationToken.None);

        Assert.Empty(keys);
        Assert.False(exists);
        Assert.Equal(LocalEntryKind.SymbolicLink, _lake.Store.Skipped[link]);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal("outside", _outside.Read("secret.csv"));
    }

    [Fact]
    public async Task EveryOperation_FifoNamedLikeACsvFile_SkippedWithoutBlocking()
    {
        _lake.Write("raw/orders/2024-03-01/a.csv", "order_id\n1\n");
        var fifo = MakeFifo("raw/orders/2024-03-01/z.csv");
        const string key = "raw/orders/2024-03-01/z.csv";

        // Opening a FIFO blocks until a writer comes: a hang here would show as the timeout, not as a pass.
        var work = Task.Run(async () =>
        {
            var keys = await ListAsync("raw/");
            var exists = await _lake.Store.ExistsAsync(key, CancellationToken.None);
            var read = await Assert.ThrowsAsync<ObjectNotFoundException>(() => _lake.Store.OpenReadAsync(key, CancellationToken.None));
            return (keys, exists, read);
        });
        var (listed, found, error) = await work.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(["raw/orders/2024-03-01/a.csv"], listed);
        Assert.False(found);
        Assert.Contains("a FIFO (named pipe) is in its place", error.Message, StringComparison.Ordinal);
        Assert.Equal(LocalEntryKind.Fifo, _lake.Store.Skipped[fifo]);
        Assert.Equal(LocalEntryKind.Fifo, LocalFiles.KindOf(fifo));
    }

    [Fact]
    public async Task RemoveStalePartialFilesAsync_WritesKilledBeforeTheRun_RemovedOthersKept()
    {
        var runStarted = new DateTimeOffset(2024, 3, 2, 12, 0, 0, TimeSpan.Zero);
        var stale = $"validated/orders/2024-03-01/part-0000.csv.{Guid.NewGuid():N}.partial";
        var current = $"curated/order_lines/date=2024-03-01/batch=2024-03-01.csv.{Guid.NewGuid():N}.partial";
        _lake.Write(stale, "half written");
        _lake.Write(current, "being written");
        _lake.Write("raw/orders/2024-03-01/notes.partial", "a user's file");
        File.SetLastWriteTimeUtc(_lake.PathOf(stale), runStarted.UtcDateTime.AddHours(-1));
        File.SetLastWriteTimeUtc(_lake.PathOf(current), runStarted.UtcDateTime.AddSeconds(1));
        File.SetLastWriteTimeUtc(_lake.PathOf("raw/orders/2024-03-01/notes.partial"), runStarted.UtcDateTime.AddDays(-1));

        var removed = await _lake.Store.RemoveStalePartialFilesAsync(runStarted, CancellationToken.None);

        Assert.Equal([_lake.PathOf(stale)], removed);
        Assert.Equal([current, "raw/orders/2024-03-01/notes.partial"], _lake.Keys());
    }

    [Fact]
    public async Task RemoveStalePartialFilesAsync_SymlinkedFolder_NotEntered()
    {
        var partial = $"elsewhere/part-0000.csv.{Guid.NewGuid():N}.partial";
        _outside.Write(partial, "outside");
        File.SetLastWriteTimeUtc(_outside.PathOf(partial), DateTime.UtcNow.AddDays(-1));
        Directory.CreateSymbolicLink(_lake.PathOf("validated"), _outside.PathOf("elsewhere"));

        var removed = await _lake.Store.RemoveStalePartialFilesAsync(DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Empty(removed);
        Assert.True(_outside.Exists(partial));
    }

    private async Task<List<string>> ListAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var item in _lake.Store.ListAsync(prefix, CancellationToken.None))
            keys.Add(item.Key);
        return keys;
    }

    private string MakeFifo(string key)
    {
        var path = _lake.PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Assert.Equal(0, Syscall.mkfifo(path, FilePermissions.DEFFILEMODE));
        return path;
    }
}
