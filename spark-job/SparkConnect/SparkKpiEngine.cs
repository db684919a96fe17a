using System.Text;
using KpiPipeline.Kpis;
using KpiPipeline.Kpis.Sql;
using KpiPipeline.Lake;
using KpiPipeline.Transform;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// Computes the KPIs on a Spark cluster through Spark Connect: a temp view reading the curated order-line Parquet
/// as a data source (Hive partitions <c>date=…/batch=…</c>), then the queries <see cref="KpiSqlRenderer"/> renders
/// from the same definitions the in-process engine interprets, their rows read as typed Arrow columns.
/// </summary>
public sealed class SparkKpiEngine : IKpiEngine, IAsyncDisposable
{
    internal const string ViewName = "kpi_curated_order_lines";

    /// <summary>The curated Parquet columns (docs/architecture.md), then the two partition columns of the folder names.</summary>
    internal const string ViewSchema = """
          order_date DATE,
          batch_id STRING,
          line_key STRING,
          order_id STRING,
          item_id STRING,
          user_id STRING,
          product_id STRING,
          category STRING,
          sale_price DECIMAL(18,6),
          quantity INT,
          returned BOOLEAN,
          created_at TIMESTAMP,
          `date` DATE
        """;

    private readonly SparkConnectClient _client;
    private readonly string _curatedLocation;
    private readonly IObjectStore? _store;
    private readonly bool _ownsClient;

    /// <param name="client">The session to use.</param>
    /// <param name="store">The lake whose curated lines Spark reads (see <see cref="CuratedLocation(IObjectStore)"/>).</param>
    /// <param name="ownsClient">Whether disposing the engine disposes <paramref name="client"/> (releasing its session).</param>
    public SparkKpiEngine(SparkConnectClient client, IObjectStore store, bool ownsClient = false)
        : this(client, CuratedLocation(store), ownsClient)
    {
        _store = store;
    }

    /// <param name="client">The session to use.</param>
    /// <param name="curatedLocation">Where Spark reads <c>curated/order_lines/</c>, e.g. <see cref="CuratedLocation(string)"/>.</param>
    /// <param name="ownsClient">Whether disposing the engine disposes <paramref name="client"/> (releasing its session).</param>
    public SparkKpiEngine(SparkConnectClient client, string curatedLocation, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(curatedLocation);
        _client = client;
        _curatedLocation = curatedLocation;
        _ownsClient = ownsClient;
    }

    public string Name => "spark";

    /// <summary>The curated order lines of a bucket as Spark's S3A connector addresses them.</summary>
    public static string CuratedLocation(string bucket)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        return $"s3a://{bucket}/{LakeLayout.CuratedOrderLinesPrefix}";
    }

    /// <summary>
    /// Where Spark finds the curated lines of <paramref name="store"/>: <c>s3a://bucket/…</c> for S3; for a local lake
    /// (meaningful only when Spark runs on the same machine) the <c>file://</c> path Hadoop reads verbatim, see <see cref="HadoopPath"/>.
    /// </summary>
    public static string CuratedLocation(IObjectStore store) => store switch
    {
        S3ObjectStore s3 => CuratedLocation(s3.Bucket),
        LocalObjectStore local => HadoopPath.FromLocalFolder(Path.Combine(local.Root, LakeLayout.CuratedOrderLinesPrefix)),
        null => throw new ArgumentNullException(nameof(store)),
        _ => throw new ArgumentException($"Spark cannot read the curated lines of a {store.GetType().Name}.", nameof(store)),
    };

    /// <summary>Spark reads the curated objects itself; nothing is aggregated in this process.</summary>
    public ILineSink? CreateSink(string batchId) => null;

    public async Task<KpiSnapshot> ComputeAsync(IReadOnlyCollection<DateOnly> dates, ILineSink? sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dates);
        if (dates.Count == 0)
            return KpiSnapshot.Empty;
        // Spark refuses a view over a folder that does not exist; a lake with no curated lines has no KPIs either.
        if (_store is not null && !await HasCuratedObjectsAsync(_store, cancellationToken).ConfigureAwait(false))
            return new KpiSnapshot([], []) { Dates = [.. dates.Distinct()] };

        // Re-created on every call: a file-source view fixes its file listing when it is created, and this
        // batch has just written (or replaced) curated objects.
        await _client.ExecuteSqlCommandAsync(CreateViewSql(_curatedLocation), cancellationToken).ConfigureAwait(false);

        var daily = await _client.QueryAsync(QuerySql(KpiGrain.Daily, dates), ReadDaily, cancellationToken)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var categories = await _client.QueryAsync(QuerySql(KpiGrain.Category, dates), ReadCategory, cancellationToken)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return new KpiSnapshot(daily, categories) { Dates = [.. dates.Distinct()] }.Sorted();
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsClient)
            await _client.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// A temp view reading every curated Parquet object as one data source. The schema is given rather than
    /// inferred, so the partition columns get their types from it (<c>date</c> a DATE, <c>batch</c> a STRING) and
    /// an empty folder is an empty relation; <c>pathGlobFilter</c> keeps other files (a legacy CSV) out.
    /// </summary>
    internal static string CreateViewSql(string curatedLocation) => $"""
        CREATE OR REPLACE TEMPORARY VIEW {ViewName} (
        {ViewSchema}
        )
        USING parquet
        OPTIONS (
          path {Literal(curatedLocation)},
          pathGlobFilter '*.parquet'
        )
        """;

    /// <summary>One grain's KPI query: the renderer's SQL over <see cref="SourceRelation"/>.</summary>
    internal static string QuerySql(KpiGrain grain, IReadOnlyCollection<DateOnly> dates) =>
        KpiSqlRenderer.Render(grain, SourceRelation(dates), dates, SqlDialect.Spark);

    /// <summary>
    /// The curated lines of <paramref name="dates"/>. The filter on the partition column <c>date</c> makes Spark list
    /// and read only those dates' folders. <c>returned</c> becomes 0/1 for the renderer's <c>MAX(returned) = 1</c>
    /// (ANSI SQL compares no BOOLEAN with a number), and text is never NULL, so it groups as the in-process engine does.
    /// </summary>
    internal static string SourceRelation(IReadOnlyCollection<DateOnly> dates)
    {
        var dateList = string.Join(", ", dates.Distinct().Order().Select(d => $"DATE '{LakeLayout.FormatDate(d)}'"));
        return $"""
            (
              SELECT order_date,
                     COALESCE(batch_id, '') AS batch_id,
                     COALESCE(line_key, '') AS line_key,
                     COALESCE(order_id, '') AS order_id,
                     COALESCE(user_id, '') AS user_id,
                     COALESCE(category, '') AS category,
                     sale_price,
                     quantity,
                     CAST(returned AS INT) AS returned
              FROM {ViewName}
              WHERE `date` IN ({dateList})
            ) AS curated
            """;
    }

    private static DailyKpi ReadDaily(SparkRow row) => Read(KpiGrain.Daily, row, r => new DailyKpi(
        r.GetDate("date_key"),
        r.GetInt64("total_orders"),
        r.GetDecimal("total_revenue"),
        r.GetInt64("total_items_sold"),
        Ratio(r, "return_rate"),
        r.GetInt64("unique_customers")));

    private static CategoryKpi ReadCategory(SparkRow row) => Read(KpiGrain.Category, row, r => new CategoryKpi(
        r.GetString("category"),
        r.GetDate("date_key"),
        r.GetDecimal("daily_revenue"),
        Ratio(r, "avg_order_value"),
        Ratio(r, "avg_return_rate")));

    private static T Read<T>(KpiGrain grain, SparkRow row, Func<SparkRow, T> read)
    {
        try
        {
            return read(row);
        }
        catch (SparkConnectException ex)
        {
            throw SparkConnectErrors.BadKpiRow(grain.ToString(), ex.Message);
        }
    }

    /// <summary>A ratio is NULL in SQL when its denominator is 0; the in-process engine makes that 0.</summary>
    private static decimal Ratio(SparkRow row, string column) => row.GetDecimalOrNull(column) ?? 0m;

    private static async Task<bool> HasCuratedObjectsAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        await foreach (var _ in store.ListAsync(LakeLayout.CuratedOrderLinesPrefix, cancellationToken).ConfigureAwait(false))
            return true;
        return false;
    }

    /// <summary>A Spark SQL string literal (backslash escapes are on by default).</summary>
    internal static string Literal(string value)
    {
        var literal = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            if (c is '\'' or '\\')
                literal.Append('\\');
            literal.Append(c);
        }

        return literal.Append('\'').ToString();
    }
}
