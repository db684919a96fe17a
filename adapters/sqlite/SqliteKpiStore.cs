using System.Globalization;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using Microsoft.Data.Sqlite;

namespace KpiPipeline.Stores;

/// <summary>
/// The embedded KPI store: a SQLite file (<c>kpis.db</c> in the lake folder). Money and rates are stored as
/// exact decimal text; SQLite compares and sums them as numbers when queried. A database that is locked,
/// read-only, on a full disk or not a database is a <see cref="KpiStoreException"/> that names the file.
/// </summary>
public sealed class SqliteKpiStore : IKpiStore
{
    private readonly SqliteConnection _connection;
    private readonly bool _readOnly;

    private SqliteKpiStore(string path, bool readOnly = false)
    {
        Location = path;
        _readOnly = readOnly;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
    }

    public string Location { get; }

    public static async Task<SqliteKpiStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var store = new SqliteKpiStore(path);
        try
        {
            await store.CreateSchemaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw Unusable(path, e);
        }
        return store;
    }

    private async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        await _connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync("""
            PRAGMA journal_mode = WAL;
            PRAGMA busy_timeout = 10000;
            CREATE TABLE IF NOT EXISTS DailyKPIs (
              date_key TEXT NOT NULL PRIMARY KEY,
              total_orders INTEGER NOT NULL,
              total_revenue TEXT NOT NULL,
              total_items_sold INTEGER NOT NULL,
              return_rate TEXT NOT NULL,
              unique_customers INTEGER NOT NULL,
              computed_at TEXT NOT NULL,
              batch_id TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS CategoryKPIs (
              category TEXT NOT NULL,
              date_key TEXT NOT NULL,
              daily_revenue TEXT NOT NULL,
              avg_order_value TEXT NOT NULL,
              avg_return_rate TEXT NOT NULL,
              computed_at TEXT NOT NULL,
              batch_id TEXT NOT NULL,
              PRIMARY KEY (category, date_key));
            CREATE INDEX IF NOT EXISTS CategoryKPIs_by_date ON CategoryKPIs (date_key);
            """, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The store of a lake folder for reading only (the dashboard): creates no file — not the database when it is
    /// missing (no KPIs yet), nor a WAL or shared-memory file beside it. Each read opens its own connection: with
    /// <c>immutable=1</c> when no writer has the database open (no <c>-wal</c> file), since SQLite would otherwise
    /// create <c>-wal</c> and <c>-shm</c> files even for a read-only connection; read-only and sharing the
    /// writer's WAL when one exists, so a running job's committed rows are seen.
    /// </summary>
    public static SqliteKpiStore OpenReadOnly(string path) => new(path, readOnly: true);

    /// <summary>The store of a local lake folder.</summary>
    public static Task<SqliteKpiStore> OpenInLakeAsync(string lakeFolder, CancellationToken cancellationToken) =>
        OpenAsync(Path.Combine(lakeFolder, LakeLayout.KpiDatabaseKey), cancellationToken);

    public async Task WriteAsync(KpiSnapshot snapshot, KpiLineage lineage, CancellationToken cancellationToken)
    {
        if (_readOnly)
            throw new InvalidOperationException($"{Location} was opened read-only.");
        try
        {
            await WriteRowsAsync(snapshot, lineage, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            throw Unusable(Location, e);
        }
    }

    public async Task<KpiSnapshot> ReadAsync(DateOnly? from, DateOnly? to, CancellationToken cancellationToken)
    {
        try
        {
            if (!_readOnly)
                return await ReadRowsAsync(_connection, from, to, cancellationToken).ConfigureAwait(false);
            if (!File.Exists(Location))
                return KpiSnapshot.Empty;
            var inUse = File.Exists(Location + "-wal");
            var uri = new Uri(Path.GetFullPath(Location)).AbsoluteUri + (inUse ? "?mode=ro" : "?mode=ro&immutable=1");
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = uri, Pooling = false }.ToString());
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await ReadRowsAsync(connection, from, to, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            throw Unusable(Location, e);
        }
    }

    /// <summary>One line that says what is wrong with the file, by SQLite's primary result code.</summary>
    private static KpiStoreException Unusable(string path, SqliteException e)
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
        return new KpiStoreException($"the KPI database {path} {what} (SQLite error {e.SqliteErrorCode}: {e.Message})", e);
    }

    private async Task WriteRowsAsync(KpiSnapshot snapshot, KpiLineage lineage, CancellationToken cancellationToken)
    {
        var computedAt = lineage.ComputedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var date in snapshot.Dates.Distinct())
        {
            await using var delete = Command("DELETE FROM CategoryKPIs WHERE date_key = $date; DELETE FROM DailyKPIs WHERE date_key = $date", transaction);
            delete.Parameters.AddWithValue("$date", LakeLayout.FormatDate(date));
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var daily in snapshot.Daily)
        {
            await using var upsert = Command("""
                INSERT INTO DailyKPIs VALUES ($date, $orders, $revenue, $items, $returns, $customers, $at, $batch)
                ON CONFLICT (date_key) DO UPDATE SET total_orders = excluded.total_orders, total_revenue = excluded.total_revenue,
                  total_items_sold = excluded.total_items_sold, return_rate = excluded.return_rate,
                  unique_customers = excluded.unique_customers, computed_at = excluded.computed_at, batch_id = excluded.batch_id
                """, transaction);
            upsert.Parameters.AddWithValue("$date", LakeLayout.FormatDate(daily.Date));
            upsert.Parameters.AddWithValue("$orders", daily.TotalOrders);
            upsert.Parameters.AddWithValue("$revenue", Text(daily.TotalRevenue));
            upsert.Parameters.AddWithValue("$items", daily.TotalItemsSold);
            upsert.Parameters.AddWithValue("$returns", Text(daily.ReturnRate));
            upsert.Parameters.AddWithValue("$customers", daily.UniqueCustomers);
            upsert.Parameters.AddWithValue("$at", computedAt);
            upsert.Parameters.AddWithValue("$batch", lineage.BatchId);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var category in snapshot.Category)
        {
            await using var insert = Command("INSERT INTO CategoryKPIs VALUES ($category, $date, $revenue, $aov, $returns, $at, $batch)", transaction);
            insert.Parameters.AddWithValue("$category", category.Category);
            insert.Parameters.AddWithValue("$date", LakeLayout.FormatDate(category.Date));
            insert.Parameters.AddWithValue("$revenue", Text(category.DailyRevenue));
            insert.Parameters.AddWithValue("$aov", Text(category.AvgOrderValue));
            insert.Parameters.AddWithValue("$returns", Text(category.AvgReturnRate));
            insert.Parameters.AddWithValue("$at", computedAt);
            insert.Parameters.AddWithValue("$batch", lineage.BatchId);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<KpiSnapshot> ReadRowsAsync(SqliteConnection connection, DateOnly? from, DateOnly? to, CancellationToken cancellationToken)
    {
        var daily = new List<DailyKpi>();
        await using (var command = Range(connection, "SELECT date_key, total_orders, total_revenue, total_items_sold, return_rate, unique_customers FROM DailyKPIs", from, to, "date_key"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                daily.Add(new DailyKpi(Date(reader.GetString(0)), reader.GetInt64(1), Number(reader.GetString(2)),
                    reader.GetInt64(3), Number(reader.GetString(4)), reader.GetInt64(5)));
            }
        }
        var categories = new List<CategoryKpi>();
        await using (var command = Range(connection, "SELECT category, date_key, daily_revenue, avg_order_value, avg_return_rate FROM CategoryKPIs", from, to, "date_key, category"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                categories.Add(new CategoryKpi(reader.GetString(0), Date(reader.GetString(1)), Number(reader.GetString(2)),
                    Number(reader.GetString(3)), Number(reader.GetString(4))));
            }
        }
        return new KpiSnapshot(daily, categories);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private static SqliteCommand Range(SqliteConnection connection, string select, DateOnly? from, DateOnly? to, string orderBy)
    {
        var command = connection.CreateCommand();
        command.CommandText = $"{select} WHERE ($from IS NULL OR date_key >= $from) AND ($to IS NULL OR date_key <= $to) ORDER BY {orderBy}";
        command.Parameters.AddWithValue("$from", from is { } f ? LakeLayout.FormatDate(f) : DBNull.Value);
        command.Parameters.AddWithValue("$to", to is { } t ? LakeLayout.FormatDate(t) : DBNull.Value);
        return command;
    }

    private SqliteCommand Command(string sql, SqliteTransaction transaction)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Text(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static decimal Number(string text) => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);

    private static DateOnly Date(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
