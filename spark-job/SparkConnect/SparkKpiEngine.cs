using System.Text;
using System.Text.Json;
using KpiPipeline.Kpis;
using KpiPipeline.Kpis.Sql;
using KpiPipeline.Lake;
using KpiPipeline.Transform;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// Computes the KPIs on a Spark cluster through Spark Connect: a temp view over the curated order-line CSV
/// files, then the queries <see cref="KpiSqlRenderer"/> renders from the same definitions the in-process
/// engine interprets, each row returned as one JSON string (the only result shape the client decodes).
/// </summary>
public sealed class SparkKpiEngine : IKpiEngine
{
    internal const string ViewName = "kpi_curated_order_lines";

    private readonly SparkConnectClient _client;
    private readonly string _curatedLocation;

    /// <param name="client">The session to use; the caller owns and disposes it.</param>
    /// <param name="curatedLocation">Where Spark reads <c>curated/order_lines/</c>, e.g. <see cref="CuratedLocation"/>.</param>
    public SparkKpiEngine(SparkConnectClient client, string curatedLocation)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(curatedLocation);
        _client = client;
        _curatedLocation = curatedLocation;
    }

    public string Name => "spark";

    /// <summary>The curated order lines of a bucket as Spark's S3A connector addresses them.</summary>
    public static string CuratedLocation(string bucket)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        return $"s3a://{bucket}/{LakeLayout.CuratedOrderLinesPrefix}";
    }

    /// <summary>
    /// Where Spark finds the curated lines of <paramref name="store"/>: <c>s3a://bucket/…</c> for S3, a
    /// <c>file://</c> URI for a local lake (only meaningful when Spark runs on the same machine).
    /// </summary>
    public static string CuratedLocation(IObjectStore store) => store switch
    {
        S3ObjectStore s3 => CuratedLocation(s3.Bucket),
        LocalObjectStore local => new Uri(Path.Combine(Path.GetFullPath(local.Root), LakeLayout.CuratedOrderLinesPrefix)).AbsoluteUri,
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

        // Re-created on every call: a file-source view fixes its file listing when it is created, and this
        // batch has just written (or removed) curated objects.
        await _client.ExecuteSqlCommandAsync(CreateViewSql(_curatedLocation), cancellationToken);

        var daily = new List<DailyKpi>();
        await foreach (var row in _client.QuerySingleStringColumnAsync(QuerySql(KpiGrain.Daily, dates), cancellationToken))
            daily.Add(ParseDaily(row));

        var categories = new List<CategoryKpi>();
        await foreach (var row in _client.QuerySingleStringColumnAsync(QuerySql(KpiGrain.Category, dates), cancellationToken))
            categories.Add(ParseCategory(row));

        return new KpiSnapshot(daily, categories) { Dates = [.. dates.Distinct()] }.Sorted();
    }

    /// <summary>
    /// A temp view over every curated CSV. Spark discovers the <c>date=</c> folders as a partition column,
    /// which <see cref="SourceRelation"/> filters on so only the touched dates' files are read.
    /// escape '"': the curated writer doubles quotes (RFC 4180) while Spark's default escape is a backslash;
    /// multiLine: a quoted field may hold a line break; FAILFAST: a bad line fails the job, as in-process.
    /// </summary>
    internal static string CreateViewSql(string curatedLocation) => $"""
        CREATE OR REPLACE TEMPORARY VIEW {ViewName}
        USING csv
        OPTIONS (
          path {Literal(curatedLocation)},
          pathGlobFilter '*.csv',
          header 'true',
          inferSchema 'false',
          encoding 'UTF-8',
          quote '"',
          escape '"',
          multiLine 'true',
          mode 'FAILFAST'
        )
        """;

    internal static string QuerySql(KpiGrain grain, IReadOnlyCollection<DateOnly> dates) =>
        $"SELECT to_json(struct(*)) AS j FROM (\n{KpiSqlRenderer.Render(grain, SourceRelation(dates), dates, SqlDialect.Spark)}\n) AS kpis";

    /// <summary>
    /// The curated lines of <paramref name="dates"/>, typed. Every CSV column arrives as a string; empty
    /// strings arrive as NULL (Spark's default nullValue), so text columns are coalesced back to '' to group
    /// exactly as the in-process engine does. DECIMAL(24,8) keeps prices exact up to 8 decimal places, and
    /// its products and sums stay within Spark's 38 digits without precision-loss rescaling.
    /// </summary>
    internal static string SourceRelation(IReadOnlyCollection<DateOnly> dates)
    {
        var dateList = string.Join(", ", dates.Order().Select(d => $"'{LakeLayout.FormatDate(d)}'"));
        return $"""
            (
              SELECT CAST(order_date AS STRING) AS order_date,
                     COALESCE(batch_id, '') AS batch_id,
                     COALESCE(line_key, '') AS line_key,
                     COALESCE(order_id, '') AS order_id,
                     COALESCE(user_id, '') AS user_id,
                     COALESCE(category, '') AS category,
                     CAST(sale_price AS DECIMAL(24,8)) AS sale_price,
                     CAST(quantity AS INT) AS quantity,
                     CAST(returned AS INT) AS returned
              FROM {ViewName}
              WHERE CAST(`date` AS STRING) IN ({dateList})
            ) AS curated
            """;
    }

    private static DailyKpi ParseDaily(string? row)
    {
        using var json = ParseRow(KpiGrain.Daily, row);
        var kpi = json.RootElement;
        return new DailyKpi(
            Date(kpi, KpiGrain.Daily, row),
            Count(kpi, "total_orders", KpiGrain.Daily, row),
            Number(kpi, "total_revenue", KpiGrain.Daily, row),
            Count(kpi, "total_items_sold", KpiGrain.Daily, row),
            Ratio(kpi, "return_rate", KpiGrain.Daily, row),
            Count(kpi, "unique_customers", KpiGrain.Daily, row));
    }

    private static CategoryKpi ParseCategory(string? row)
    {
        using var json = ParseRow(KpiGrain.Category, row);
        var kpi = json.RootElement;
        return new CategoryKpi(
            Text(kpi, "category", row),
            Date(kpi, KpiGrain.Category, row),
            Number(kpi, "daily_revenue", KpiGrain.Category, row),
            Ratio(kpi, "avg_order_value", KpiGrain.Category, row),
            Ratio(kpi, "avg_return_rate", KpiGrain.Category, row));
    }

    private static JsonDocument ParseRow(KpiGrain grain, string? row)
    {
        if (row is null)
            throw BadRow(grain, "the row is NULL", row);
        try
        {
            var document = JsonDocument.Parse(row);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                return document;
            document.Dispose();
            throw BadRow(grain, "the row is not a JSON object", row);
        }
        catch (JsonException ex)
        {
            throw BadRow(grain, $"the row is not JSON ({ex.Message})", row);
        }
    }

    private static DateOnly Date(JsonElement kpi, KpiGrain grain, string? row) =>
        kpi.TryGetProperty("date_key", out var value) && value.ValueKind == JsonValueKind.String && LakeLayout.TryParseDate(value.GetString(), out var date)
            ? date
            : throw BadRow(grain, "date_key is missing or not yyyy-MM-dd", row);

    private static string Text(JsonElement kpi, string name, string? row) =>
        // to_json leaves NULL fields out; the source coalesces text to '', so absent means ''.
        !kpi.TryGetProperty(name, out var value) ? string.Empty
        : value.ValueKind == JsonValueKind.String ? value.GetString()!
        : throw BadRow(KpiGrain.Category, $"{name} is not a string", row);

    private static long Count(JsonElement kpi, string name, KpiGrain grain, string? row) =>
        kpi.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count)
            ? count
            : throw BadRow(grain, $"{name} is missing or not a whole number", row);

    private static decimal Number(JsonElement kpi, string name, KpiGrain grain, string? row) =>
        kpi.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number)
            ? number
            : throw BadRow(grain, $"{name} is missing or not a number", row);

    /// <summary>A ratio is NULL in SQL when its denominator is 0; the in-process engine makes that 0.</summary>
    private static decimal Ratio(JsonElement kpi, string name, KpiGrain grain, string? row) =>
        kpi.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? Number(kpi, name, grain, row) : 0m;

    private static SparkConnectException BadRow(KpiGrain grain, string what, string? row) =>
        SparkConnectErrors.BadKpiRow(grain.ToString(), what, row);

    /// <summary>A Spark SQL string literal (backslash escapes are on by default).</summary>
    private static string Literal(string value)
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
