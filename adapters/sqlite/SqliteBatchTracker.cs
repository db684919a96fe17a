using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using Microsoft.Data.Sqlite;

namespace KpiPipeline.Batching;

/// <summary>
/// The <c>BatchFileTracker</c> of a local lake: one row per batch in a table of the lake's <c>kpis.db</c>
/// (or of a state file for a bucket without the DynamoDB table). Each change runs in a
/// <c>BEGIN IMMEDIATE</c> transaction, which holds SQLite's write lock from the read of the row to the
/// write of the new one: the same all-or-nothing conditional update as DynamoDB's <c>UpdateItem</c>, across
/// processes. The conditions are <c>DynamoDbBatchTracker</c>'s, written out in C#; the shared
/// contract tests hold both to them. A row is the item as JSON, so <c>json_extract</c> reads any attribute.
/// </summary>
public sealed partial class SqliteBatchTracker : IBatchTracker, IAsyncDisposable
{
    /// <summary>The products record's id, as in DynamoDB: not a date, so never taken for a batch.</summary>
    public const string ProductsItemId = "#products";

    public const string TableName = "BatchFileTracker";

    private static readonly JsonTypeInfo<TrackerItem> Json = new TrackerItemJsonContext(new JsonSerializerOptions { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull }).TrackerItem;

    private readonly SqliteConnection _connection;

    // One connection serves the process; SQLite's lock serializes processes.
    private readonly SemaphoreSlim _gate = new(1, 1);

    private readonly string _description;

    private SqliteBatchTracker(string path, string description)
    {
        Location = path;
        _description = description;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 10 }.ToString());
    }

    public string Location { get; }

    /// <exception cref="BatchTrackerUnavailableException">The file cannot be opened or written; the message names it.</exception>
    public static Task<SqliteBatchTracker> OpenAsync(string path, CancellationToken cancellationToken) =>
        OpenAsync(path, $"the batch tracker database {path}", cancellationToken);

    private static async Task<SqliteBatchTracker> OpenAsync(string path, string description, CancellationToken cancellationToken)
    {
        var tracker = new SqliteBatchTracker(path, description);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await tracker._connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = tracker._connection.CreateCommand();
            // One statement per command, so that each one's failure (busy, read-only) is reported.
            foreach (var statement in new[]
            {
                "PRAGMA busy_timeout = 10000",
                "PRAGMA journal_mode = WAL",
                $"CREATE TABLE IF NOT EXISTS {TableName} (batch_id TEXT NOT NULL PRIMARY KEY, item TEXT NOT NULL)",
            })
            {
                command.CommandText = statement;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            // SQLite opens a file it may not write read-only, and then skips the CREATE without an error.
            command.CommandText = $"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{TableName}'";
            if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
                throw new SqliteException($"{TableName} cannot be created", SQLitePCL.raw.SQLITE_READONLY);
        }
        catch (SqliteException e)
        {
            await tracker.DisposeAsync().ConfigureAwait(false);
            throw Unusable(description, e);
        }
        return tracker;
    }

    /// <summary>The tracker of a local lake: a table of its <c>kpis.db</c>, so failures name the KPI database.</summary>
    public static Task<SqliteBatchTracker> OpenInLakeAsync(string lakeFolder, CancellationToken cancellationToken)
    {
        var path = Path.Combine(lakeFolder, LakeLayout.KpiDatabaseKey);
        return OpenAsync(path, $"the KPI database {path}", cancellationToken);
    }

    public Task<(bool IsNew, BatchState State)> RecordFileAsync(
        string batchId, Dataset dataset, string key, string arrivalId, string bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var file = new DailyFileArrival(batchId, dataset, key, arrivalId);
        CheckDataset(file);
        return UpdateOrReadAsync(batchId, item => IsNewArrival(item, file), item => AddFile(item, file, bucket, now), cancellationToken);
    }

    /// <summary>
    /// All files in one write transaction: each file's own conditional update, in order, on the rows as the files
    /// before it left them, and one commit (one sync to disk) for them all, where a local run's scan of <c>raw/</c>
    /// used to pay one per file before its first batch could start.
    /// </summary>
    public async Task<IReadOnlyList<(bool IsNew, BatchState State)>> RecordFilesAsync(
        IReadOnlyList<DailyFileArrival> files, string bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var file in files)
            CheckDataset(file);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var transaction = _connection.BeginTransaction(deferred: false);
            var rows = new Dictionary<string, TrackerItem?>(StringComparer.Ordinal);
            var changed = new HashSet<string>(StringComparer.Ordinal);
            var recorded = new List<(bool IsNew, BatchState State)>(files.Count);
            foreach (var file in files)
            {
                if (!rows.TryGetValue(file.BatchId, out var item))
                    rows.Add(file.BatchId, item = await ReadRowAsync(file.BatchId, transaction, cancellationToken).ConfigureAwait(false));
                var isNew = IsNewArrival(item, file);
                if (isNew)
                {
                    item ??= rows[file.BatchId] = new TrackerItem();
                    AddFile(item, file, bucket, now);
                    changed.Add(file.BatchId);
                }
                recorded.Add((isNew, item!.ToState(file.BatchId)));
            }
            foreach (var batchId in changed)
                await WriteRowAsync(batchId, rows[batchId]!, transaction, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return recorded;
        }
        catch (SqliteException e)
        {
            throw Unusable(_description, e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static void CheckDataset(DailyFileArrival file)
    {
        if (file.Dataset is not (Dataset.Orders or Dataset.OrderItems))
            throw new ArgumentOutOfRangeException(nameof(file), file.Dataset, "Only orders and order_items belong to a daily batch.");
    }

    private static bool IsNewArrival(TrackerItem? item, DailyFileArrival file) => item is null || !item.Arrivals.Contains(file.ArrivalId);

    private static void AddFile(TrackerItem item, DailyFileArrival file, string bucket, DateTimeOffset now)
    {
        Seed(item, bucket, now);
        (file.Dataset == Dataset.Orders ? item.OrdersKeys : item.OrderItemsKeys).Add(file.Key);
        item.Arrivals.Add(file.ArrivalId);
        item.Revision++;
        item.FilesRevision++;
        if (file.Dataset == Dataset.Orders)
        {
            item.OrdersArrived = true;
            item.OrderItemsArrived ??= false;
        }
        else
        {
            item.OrderItemsArrived = true;
            item.OrdersArrived ??= false;
        }
    }

    public Task<(bool IsNew, BatchState State)> RecordExpectedFilesAsync(
        ExpectedFiles expected, string key, string bucket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var hash = expected.Hash;
        return UpdateOrReadAsync(expected.BatchId, item => item?.ExpectedHash != hash, item =>
        {
            Seed(item, bucket, now);
            item.Revision++;
            item.ExpectedOrdersKeys = [.. expected.OrdersKeys];
            item.ExpectedOrderItemsKeys = [.. expected.OrderItemsKeys];
            item.ExpectedKey = key;
            item.ExpectedHash = hash;
            item.OrdersArrived ??= false;
            item.OrderItemsArrived ??= false;
        }, cancellationToken);
    }

    public Task RecordProductsAsync(string key, string bucket, DateTimeOffset now, CancellationToken cancellationToken) =>
        UpdateAsync(ProductsItemId, _ => true, item =>
        {
            item.ProductsKey = key;
            item.ProductsArrived = true;
            item.Bucket = bucket;
            item.LastUpdated = Stamp(now);
            item.LastArrival = Stamp(now);
        }, cancellationToken);

    public async Task<string?> GetProductsKeyAsync(CancellationToken cancellationToken) =>
        (await ReadAsync(ProductsItemId, cancellationToken).ConfigureAwait(false))?.ProductsKey;

    public async Task<BatchState?> GetAsync(string batchId, CancellationToken cancellationToken) =>
        await ReadAsync(batchId, cancellationToken).ConfigureAwait(false) is { } item ? item.ToState(batchId) : null;

    public async Task<BatchState?> TryClaimAsync(BatchState state, string productsKey, string executionName, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (updated, item) = await UpdateCoreAsync(state.BatchId,
            item => item is not null && item.Revision == state.Revision && item.ClaimedRevision < state.Revision && item.Version == state.Version,
            item =>
            {
                item.Version = state.Version + 1;
                item.ClaimedRevision = state.Revision;
                item.ClaimedAt = Stamp(now);
                item.ClaimedOrdersKeys = [.. item.OrdersKeys];
                item.ClaimedOrderItemsKeys = [.. item.OrderItemsKeys];
                item.ClaimedFilesRevision = item.FilesRevision;
                item.ProductsKey = productsKey;
                item.ProductsArrived = true;
                item.Status = BatchStatus.Claimed;
                item.ExecutionName = executionName;
                item.LastUpdated = Stamp(now);
                item.StatusReason = null;
            }, cancellationToken).ConfigureAwait(false);
        return updated ? item!.ToState(state.BatchId) : null;
    }

    public Task<bool> TryAcknowledgeAsync(BatchState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        return UpdateAsync(state.BatchId,
            item => item is not null && item.Revision == state.Revision && item.ClaimedRevision < state.Revision && item.Version == state.Version,
            item =>
            {
                item.ClaimedRevision = state.Revision;
                item.LastUpdated = Stamp(now);
            }, cancellationToken);
    }

    public async Task MarkStartedAsync(string batchId, int version, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var full = await UpdateAsync(batchId,
            item => item is not null && item.StartedVersion < version && item.Version == version && item.ClaimedRevision == item.Revision,
            item =>
            {
                item.StartedVersion = version;
                item.StepFunctionTriggered = true;
                item.Status = BatchStatus.Started;
                item.LastUpdated = Stamp(now);
                item.StatusReason = null;
            }, cancellationToken).ConfigureAwait(false);
        if (full)
            return;
        await UpdateAsync(batchId, item => item is not null && item.StartedVersion < version, item =>
        {
            item.StartedVersion = version;
            item.StepFunctionTriggered = true;
            item.LastUpdated = Stamp(now);
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<bool> TrySetStatusAsync(BatchState state, string status, string reason, string? productsKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        return UpdateAsync(state.BatchId, item => item is not null && item.Revision == state.Revision && item.ClaimedRevision < state.Revision, item =>
        {
            item.Status = status;
            item.StatusReason = reason;
            item.LastUpdated = Stamp(now);
            if (productsKey is not null)
            {
                item.ProductsKey = productsKey;
                item.ProductsArrived = true;
            }
        }, cancellationToken);
    }

    public IAsyncEnumerable<BatchState> ScanOpenAsync(CancellationToken cancellationToken) =>
        ScanAsync(item => item.ClaimedRevision < item.Revision || item.StartedVersion < item.Version, cancellationToken);

    public IAsyncEnumerable<BatchState> ScanAllAsync(CancellationToken cancellationToken) => ScanAsync(_ => true, cancellationToken);

    public Task<bool> TryBeginRunAsync(string batchId, int version, DateTimeOffset now, CancellationToken cancellationToken) =>
        UpdateAsync(batchId, item => item is not null && item.Version == version && (item.StepVersion is null || item.StepVersion < version), item =>
        {
            item.Step = BatchStep.Claimed.Name();
            item.StepVersion = version;
            item.StepAt = Stamp(now);
            item.LastUpdated = Stamp(now);
            item.StepReason = null;
        }, cancellationToken);

    public Task<bool> TryRecordStepAsync(string batchId, int version, BatchStep step, string? reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        UpdateAsync(batchId,
            item => item is not null && item.Version == version && item.StepVersion == version
                && item.Step != BatchStep.Archived.Name() && item.Step != BatchStep.Failed.Name(),
            item =>
            {
                item.Step = step.Name();
                item.StepAt = Stamp(now);
                item.LastUpdated = Stamp(now);
                item.StepReason = reason;
            }, cancellationToken);

    public async Task<BatchState?> RequestRerunAsync(string batchId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (updated, item) = await UpdateCoreAsync(batchId, item => item is not null, item =>
        {
            item.Revision++;
            item.FilesRevision++;
            item.RerunRequestedAt = Stamp(now);
            item.LastArrival = Stamp(now);
            item.LastUpdated = Stamp(now);
        }, cancellationToken).ConfigureAwait(false);
        return updated ? item!.ToState(batchId) : null;
    }

    /// <summary>
    /// Records a batch that a run without batch tracking finished (its latest manifest, archived), so the next
    /// file of that date makes the next version with every file the batch already had instead of starting again
    /// at v1 with only the new one. Does nothing when the tracker already knows the batch.
    /// </summary>
    /// <returns>Whether the batch was adopted.</returns>
    public Task<bool> TryAdoptFinishedAsync(BatchManifest manifest, string bucket, DateTimeOffset now, CancellationToken cancellationToken) =>
        UpdateAsync(manifest.BatchId, item => item is null, item =>
        {
            Seed(item, bucket, now);
            foreach (var key in manifest.OrdersKeys)
            {
                item.OrdersKeys.Add(key);
                item.ClaimedOrdersKeys.Add(key);
                item.Arrivals.Add(key);
            }
            foreach (var key in manifest.OrderItemsKeys)
            {
                item.OrderItemsKeys.Add(key);
                item.ClaimedOrderItemsKeys.Add(key);
                item.Arrivals.Add(key);
            }
            item.OrdersArrived = item.OrdersKeys.Count > 0;
            item.OrderItemsArrived = item.OrderItemsKeys.Count > 0;
            item.ProductsKey = manifest.ProductsKey;
            item.Revision = item.ClaimedRevision = item.FilesRevision = item.ClaimedFilesRevision = item.Arrivals.Count;
            item.Version = item.StartedVersion = manifest.Version;
            item.ClaimedAt = Stamp(manifest.CreatedAt);
            item.ExecutionName = BatchExecutionInput.NameFor(manifest.BatchId, manifest.Version);
            item.StepFunctionTriggered = true;
            item.Status = BatchStatus.Started;
            item.Step = BatchStep.Archived.Name();
            item.StepVersion = manifest.Version;
            item.StepAt = Stamp(now);
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private static void Seed(TrackerItem item, string bucket, DateTimeOffset now)
    {
        item.Bucket = bucket;
        item.LastUpdated = Stamp(now);
        item.LastArrival = Stamp(now);
        item.CreatedAt ??= Stamp(now);
        item.StepFunctionTriggered ??= false;
        item.ProductsArrived ??= false;
        item.Status ??= BatchStatus.Receiving;
    }

    /// <summary>Milliseconds, UTC, as DynamoDB's items hold them, so both trackers report the same times.</summary>
    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private async Task<(bool IsNew, BatchState State)> UpdateOrReadAsync(
        string batchId, Func<TrackerItem?, bool> condition, Action<TrackerItem> update, CancellationToken cancellationToken)
    {
        var (updated, item) = await UpdateCoreAsync(batchId, condition, update, cancellationToken).ConfigureAwait(false);
        return (updated, item?.ToState(batchId) ?? throw new InvalidOperationException($"Tracker item {batchId} failed its condition but does not exist."));
    }

    private async Task<bool> UpdateAsync(string batchId, Func<TrackerItem?, bool> condition, Action<TrackerItem> update, CancellationToken cancellationToken) =>
        (await UpdateCoreAsync(batchId, condition, update, cancellationToken).ConfigureAwait(false)).Updated;

    /// <summary>Reads the row and, when <paramref name="condition"/> holds, writes it back changed: one write transaction.</summary>
    /// <returns>Whether it was written, and the row as it is after the call (null: none).</returns>
    private async Task<(bool Updated, TrackerItem? Item)> UpdateCoreAsync(
        string batchId, Func<TrackerItem?, bool> condition, Action<TrackerItem> update, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Not deferred: BEGIN IMMEDIATE takes the write lock before the read, so no other writer slips in between.
            await using var transaction = _connection.BeginTransaction(deferred: false);
            var item = await ReadRowAsync(batchId, transaction, cancellationToken).ConfigureAwait(false);
            if (!condition(item))
                return (false, item);
            item ??= new TrackerItem();
            update(item);
            await WriteRowAsync(batchId, item, transaction, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return (true, item);
        }
        catch (SqliteException e)
        {
            throw Unusable(_description, e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task WriteRowAsync(string batchId, TrackerItem item, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        await using var write = _connection.CreateCommand();
        write.Transaction = transaction;
        write.CommandText = $"INSERT INTO {TableName} (batch_id, item) VALUES ($id, $item) ON CONFLICT (batch_id) DO UPDATE SET item = excluded.item";
        write.Parameters.AddWithValue("$id", batchId);
        write.Parameters.AddWithValue("$item", JsonSerializer.Serialize(item, Json));
        await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<TrackerItem?> ReadAsync(string batchId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReadRowAsync(batchId, null, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            throw Unusable(_description, e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<TrackerItem?> ReadRowAsync(string batchId, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var read = _connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = $"SELECT item FROM {TableName} WHERE batch_id = $id";
        read.Parameters.AddWithValue("$id", batchId);
        return await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json
            ? JsonSerializer.Deserialize(json, Json)
            : null;
    }

    private async IAsyncEnumerable<BatchState> ScanAsync(Func<TrackerItem, bool> filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Read whole before yielding: the caller may update batches while it walks them.
        var found = new List<BatchState>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var scan = _connection.CreateCommand();
            scan.CommandText = $"SELECT batch_id, item FROM {TableName} WHERE batch_id NOT LIKE '#%' ORDER BY batch_id";
            await using var reader = await scan.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var item = JsonSerializer.Deserialize(reader.GetString(1), Json)!;
                if (filter(item))
                    found.Add(item.ToState(reader.GetString(0)));
            }
        }
        catch (SqliteException e)
        {
            throw Unusable(_description, e);
        }
        finally
        {
            _gate.Release();
        }
        foreach (var state in found)
            yield return state;
    }

    private static BatchTrackerUnavailableException Unusable(string description, SqliteException e)
    {
        var what = (e.SqliteErrorCode & 0xFF) switch
        {
            SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED => "is locked by another process; retry when it is released",
            SQLitePCL.raw.SQLITE_READONLY or SQLitePCL.raw.SQLITE_PERM or SQLitePCL.raw.SQLITE_CANTOPEN => "cannot be written (read-only, or no permission for the file or its folder)",
            SQLitePCL.raw.SQLITE_FULL => "cannot grow: the disk is full",
            SQLitePCL.raw.SQLITE_IOERR => "cannot be read or written (an I/O error)",
            SQLitePCL.raw.SQLITE_CORRUPT or SQLitePCL.raw.SQLITE_NOTADB => "is not a usable SQLite database (corrupt, or another kind of file)",
            _ => "failed",
        };
        return new BatchTrackerUnavailableException($"{description} {what} (SQLite error {e.SqliteErrorCode}: {e.Message})", e);
    }

    /// <summary>Source-generated (no reflection at run time, Native AOT).</summary>
    [JsonSerializable(typeof(TrackerItem))]
    private sealed partial class TrackerItemJsonContext : JsonSerializerContext;

    /// <summary>The row: DynamoDB's attributes under their names there.</summary>
    private sealed class TrackerItem
    {
        [JsonPropertyName("bucket")] public string? Bucket { get; set; }
        [JsonPropertyName("products_key")] public string? ProductsKey { get; set; }
        [JsonPropertyName("orders_keys")] public SortedSet<string> OrdersKeys { get; set; } = new(StringComparer.Ordinal);
        [JsonPropertyName("order_items_keys")] public SortedSet<string> OrderItemsKeys { get; set; } = new(StringComparer.Ordinal);
        [JsonPropertyName("arrivals")] public SortedSet<string> Arrivals { get; set; } = new(StringComparer.Ordinal);
        [JsonPropertyName("products_files_arrived")] public bool? ProductsArrived { get; set; }
        [JsonPropertyName("orders_files_arrived")] public bool? OrdersArrived { get; set; }
        [JsonPropertyName("order_items_files_arrived")] public bool? OrderItemsArrived { get; set; }
        [JsonPropertyName("step_function_triggered")] public bool? StepFunctionTriggered { get; set; }
        [JsonPropertyName("last_updated")] public string? LastUpdated { get; set; }
        [JsonPropertyName("last_arrival")] public string? LastArrival { get; set; }
        [JsonPropertyName("created_at")] public string? CreatedAt { get; set; }
        [JsonPropertyName("status")] public string? Status { get; set; }
        [JsonPropertyName("status_reason")] public string? StatusReason { get; set; }
        [JsonPropertyName("revision")] public long Revision { get; set; }
        [JsonPropertyName("claimed_revision")] public long ClaimedRevision { get; set; }
        [JsonPropertyName("files_revision")] public long FilesRevision { get; set; }
        [JsonPropertyName("claimed_files_revision")] public long ClaimedFilesRevision { get; set; }
        [JsonPropertyName("version")] public int Version { get; set; }
        [JsonPropertyName("started_version")] public int StartedVersion { get; set; }
        [JsonPropertyName("claimed_at")] public string? ClaimedAt { get; set; }
        [JsonPropertyName("claimed_orders_keys")] public SortedSet<string> ClaimedOrdersKeys { get; set; } = new(StringComparer.Ordinal);
        [JsonPropertyName("claimed_order_items_keys")] public SortedSet<string> ClaimedOrderItemsKeys { get; set; } = new(StringComparer.Ordinal);
        [JsonPropertyName("execution_name")] public string? ExecutionName { get; set; }
        [JsonPropertyName("expected_key")] public string? ExpectedKey { get; set; }
        [JsonPropertyName("expected_hash")] public string? ExpectedHash { get; set; }
        [JsonPropertyName("expected_orders_keys")] public SortedSet<string>? ExpectedOrdersKeys { get; set; }
        [JsonPropertyName("expected_order_items_keys")] public SortedSet<string>? ExpectedOrderItemsKeys { get; set; }
        [JsonPropertyName("step")] public string? Step { get; set; }
        [JsonPropertyName("step_version")] public int? StepVersion { get; set; }
        [JsonPropertyName("step_reason")] public string? StepReason { get; set; }
        [JsonPropertyName("step_at")] public string? StepAt { get; set; }
        [JsonPropertyName("rerun_requested_at")] public string? RerunRequestedAt { get; set; }

        public BatchState ToState(string batchId) => new(
            batchId, Bucket, Keys(OrdersKeys), Keys(OrderItemsKeys),
            ExpectedOrdersKeys is null ? null : Keys(ExpectedOrdersKeys),
            ExpectedOrderItemsKeys is null ? null : Keys(ExpectedOrderItemsKeys),
            ExpectedHash, Revision, ClaimedRevision, Version, StartedVersion, Time(ClaimedAt),
            Keys(ClaimedOrdersKeys), Keys(ClaimedOrderItemsKeys), ProductsKey, Status, StatusReason, Time(LastArrival))
        {
            FilesRevision = FilesRevision,
            ClaimedFilesRevision = ClaimedFilesRevision,
            StepVersion = StepVersion ?? 0,
            Step = BatchSteps.TryParse(Step, out var step) ? step : null,
            StepReason = StepReason,
            StepAt = Time(StepAt),
            LastUpdated = Time(LastUpdated),
        };

        private static HashSet<string> Keys(IEnumerable<string> keys) => new(keys, StringComparer.Ordinal);

        private static DateTimeOffset? Time(string? text) =>
            text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
    }
}
