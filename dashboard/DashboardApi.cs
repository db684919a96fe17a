using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Stores;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Dashboard;

/// <summary>
/// The dashboard: a JSON API over the stored KPIs and the batches, and one page drawn from it. Framework-free,
/// so that <c>kpi-job serve</c> (ASP.NET Core) and the Lambda function <c>dashboard-api</c> (API Gateway events)
/// answer the same requests the same way. It only reads: KPIs by date range, batch manifests and reports.
/// </summary>
public sealed partial class DashboardApi
{
    /// <summary>The longest range one request may ask for, so a request is a bounded number of reads.</summary>
    public const int MaxRangeDays = 366;

    public const int DefaultTop = 10;

    /// <summary>What the API answers, for the hosts' route tables and the index.</summary>
    public static IReadOnlyList<string> Routes { get; } =
    [
        "/", "/api/daily", "/api/categories", "/api/week-over-week", "/api/batches",
        "/api/batches/{batchId}/{version}/validation", "/api/objects", "/charts/categories",
    ];

    /// <summary>
    /// Headers both hosts send with every response: the page may load nothing from elsewhere (no CDN, no
    /// third-party script), and nothing is cached, since a job may store new KPIs at any time.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ResponseHeaders { get; } = new Dictionary<string, string>
    {
        ["Content-Security-Policy"] = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'",
        ["X-Content-Type-Options"] = "nosniff",
        ["Cache-Control"] = "no-store",
    };

    private const string JsonType = "application/json; charset=utf-8";

    private readonly IKpiStore _kpis;
    private readonly IBatchStatusSource _batches;
    private readonly IObjectStore _store;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    public DashboardApi(IKpiStore kpis, IBatchStatusSource batches, IObjectStore store, TimeProvider clock, ILogger<DashboardApi> logger)
    {
        _kpis = kpis;
        _batches = batches;
        _store = store;
        _clock = clock;
        _logger = logger;
    }

    public async Task<DashboardResponse> HandleAsync(DashboardRequest request, CancellationToken cancellationToken)
    {
        var path = request.Path.Length > 1 ? request.Path.TrimEnd('/') : request.Path;
        if (request.Method is not ("GET" or "HEAD"))
            return Problems.MethodNotAllowed(path, request.Method);
        try
        {
            return await RouteAsync(path, new Parameters(request.Query), cancellationToken).ConfigureAwait(false);
        }
        catch (BadParameterException e)
        {
            return Problems.BadParameter(path, e.Parameter, e.Message);
        }
        catch (Exception e) when (e is InvalidDataException || InfrastructureFailure.Describe(e) is not null)
        {
            // The lake or the KPI store failed, or holds something unreadable: say which, in one line.
            var reason = InfrastructureFailure.Describe(e) ?? e.Message;
            LogUpstreamFailed(path, reason, e);
            return Problems.Upstream(path, reason);
        }
    }

    private Task<DashboardResponse> RouteAsync(string path, Parameters query, CancellationToken cancellationToken)
    {
        switch (path)
        {
            case "/" or "/index.html":
                return PageAsync(query, cancellationToken);
            case "/api/daily":
                return DailyAsync(query, cancellationToken);
            case "/api/categories":
                return CategoriesAsync(query, cancellationToken);
            case "/api/week-over-week":
                return WeekOverWeekAsync(query, cancellationToken);
            case "/api/batches":
                return BatchesAsync(cancellationToken);
            case "/api/objects":
                return ObjectAsync(path, query, cancellationToken);
            case "/charts/categories":
                return CategoryChartAsync(query, cancellationToken);
        }
        var parts = path.Split('/');
        if (parts is ["", "api", "batches", var batchId, var version, "validation"])
            return ValidationReportAsync(path, batchId, version, cancellationToken);
        return Task.FromResult(Problems.NotFound(path, $"no resource {path}; the API answers {string.Join(", ", Routes)}"));
    }

    private async Task<DashboardResponse> DailyAsync(Parameters query, CancellationToken cancellationToken)
    {
        var (from, to) = query.Range();
        var snapshot = await _kpis.ReadAsync(from, to, cancellationToken).ConfigureAwait(false);
        return Json(json =>
        {
            json.WriteStartObject();
            json.WriteString("from", LakeLayout.FormatDate(from));
            json.WriteString("to", LakeLayout.FormatDate(to));
            json.WriteStartArray("daily");
            foreach (var row in snapshot.Daily.OrderBy(d => d.Date))
                DashboardJson.WriteDaily(json, row);
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private async Task<DashboardResponse> CategoriesAsync(Parameters query, CancellationToken cancellationToken)
    {
        var (from, to) = query.DateOrRange();
        var top = query.Top();
        var snapshot = await _kpis.ReadAsync(from, to, cancellationToken).ConfigureAwait(false);
        return Json(json =>
        {
            json.WriteStartObject();
            json.WriteString("from", LakeLayout.FormatDate(from));
            json.WriteString("to", LakeLayout.FormatDate(to));
            json.WriteNumber("top", top);
            json.WriteStartArray("category");
            foreach (var row in TopByRevenue(snapshot.Category, top))
                DashboardJson.WriteCategory(json, row);
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <summary>Per date, the <paramref name="top"/> categories by revenue (ties by name), dates in order.</summary>
    public static IEnumerable<CategoryKpi> TopByRevenue(IEnumerable<CategoryKpi> rows, int top) =>
        rows.GroupBy(c => c.Date).OrderBy(g => g.Key)
            .SelectMany(g => g.OrderByDescending(c => c.DailyRevenue).ThenBy(c => c.Category, StringComparer.Ordinal).Take(top));

    private async Task<DashboardResponse> WeekOverWeekAsync(Parameters query, CancellationToken cancellationToken)
    {
        var to = query.Date("to") ?? throw new BadParameterException("to", "is required (YYYY-MM-DD): the last day of the week to compare");
        var snapshot = await _kpis.ReadAsync(to.AddDays(-13), to, cancellationToken).ConfigureAwait(false);
        var change = WeekOverWeek.Compute(snapshot.Daily, to);
        return Json(json => DashboardJson.WriteWeekOverWeek(json, change));
    }

    private async Task<DashboardResponse> BatchesAsync(CancellationToken cancellationToken)
    {
        var batches = await _batches.ListAsync(cancellationToken).ConfigureAwait(false);
        return Json(json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("batches");
            foreach (var batch in batches)
                DashboardJson.WriteBatch(json, batch);
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private async Task<DashboardResponse> ValidationReportAsync(string path, string batchId, string versionText, CancellationToken cancellationToken)
    {
        if (!LakeLayout.TryParseDate(batchId, out var date))
            throw new BadParameterException("batchId", $"must be a batch date like 2024-03-01, not '{batchId}'");
        var digits = versionText.StartsWith('v') ? versionText[1..] : versionText;
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version is < 1 or > 9999)
            throw new BadParameterException("version", $"must be a batch version like 1 or v0001, not '{versionText}'");
        var key = LakeLayout.ValidationReportKey(date, version);
        JsonDocument report;
        try
        {
            await using var stream = await _store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
            report = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return Problems.NotFound(path, $"batch {batchId} v{version} has no validation report ({_store.Describe(key)})");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{_store.Describe(key)} is not a validation report: {e.Message}", e);
        }
        using (report)
            return Json(json => DashboardJson.WriteValidationReport(json, key, report.RootElement));
    }

    /// <summary>A rejects or errors object the validation report links to; nothing else of the lake is served.</summary>
    private async Task<DashboardResponse> ObjectAsync(string path, Parameters query, CancellationToken cancellationToken)
    {
        var key = query.Text("key") ?? throw new BadParameterException("key", "is required: a rejects or errors key from a validation report");
        var contentType = key.EndsWith(".rejects.csv", StringComparison.Ordinal) ? "text/csv; charset=utf-8"
            : key.EndsWith(".errors.json", StringComparison.Ordinal) ? JsonType
            : null;
        if (ObjectKeys.Problem(key) is { } problem)
            throw new BadParameterException("key", problem);
        if (!key.StartsWith(LakeLayout.StagePrefix(Stage.Invalid), StringComparison.Ordinal) || contentType is null)
            throw new BadParameterException("key", "only rejects (invalid/…/*.rejects.csv) and errors (invalid/…/*.errors.json) objects are served");
        try
        {
            await using var stream = await _store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return new DashboardResponse(200, contentType, buffer.ToArray());
        }
        catch (ObjectNotFoundException)
        {
            return Problems.NotFound(path, $"{_store.Describe(key)} does not exist");
        }
    }

    private async Task<DashboardResponse> CategoryChartAsync(Parameters query, CancellationToken cancellationToken)
    {
        var date = query.Date("date") ?? throw new BadParameterException("date", "is required (YYYY-MM-DD)");
        var top = query.Top();
        var snapshot = await _kpis.ReadAsync(date, date, cancellationToken).ConfigureAwait(false);
        var svg = SvgCharts.CategoryBars(date, TopByRevenue(snapshot.Category, top).ToList());
        return new DashboardResponse(200, "image/svg+xml; charset=utf-8", Encoding.UTF8.GetBytes(svg));
    }

    private async Task<DashboardResponse> PageAsync(Parameters query, CancellationToken cancellationToken)
    {
        var batches = await _batches.ListAsync(cancellationToken).ConfigureAwait(false);
        DateOnly from, to;
        if (query.Has("from") || query.Has("to"))
        {
            (from, to) = query.Range();
        }
        else
        {
            // The batches say which dates have data; reading KPIs by key needs a range, and a guess of "today" would
            // show an empty page for a lake of past data.
            var dates = batches.Select(b => DateOnly.ParseExact(b.BatchId, "yyyy-MM-dd", CultureInfo.InvariantCulture)).ToList();
            to = dates.Count > 0 ? dates.Max() : DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);
            var earliest = dates.Count > 0 ? dates.Min() : to.AddDays(-27);
            from = earliest < to.AddDays(-89) ? to.AddDays(-89) : earliest;
        }
        var snapshot = await _kpis.ReadAsync(from.AddDays(-7), to, cancellationToken).ConfigureAwait(false);
        var inRange = snapshot.Daily.Where(d => d.Date >= from).OrderBy(d => d.Date).ToList();
        var day = query.Date("day") ?? (inRange.Count > 0 ? inRange[^1].Date : to);
        var categories = TopByRevenue(snapshot.Category.Where(c => c.Date == day), query.Top()).ToList();
        var weekTo = inRange.Count > 0 ? inRange[^1].Date : to;
        var html = DashboardPage.Render(new DashboardPage.Model(from, to, day, inRange, categories, WeekOverWeek.Compute(snapshot.Daily, weekTo), batches));
        return new DashboardResponse(200, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(html));
    }

    // Relaxed escaping: the JSON is served as application/json, never inlined into HTML, so "&" and "+" read as they are.
    private static DashboardResponse Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(json);
        return new DashboardResponse(200, JsonType, buffer.ToArray());
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Dashboard request {Path} failed: {Reason}")]
    private partial void LogUpstreamFailed(string path, string reason, Exception exception);

    /// <summary>The query string, read with errors that name the parameter.</summary>
    private sealed class Parameters(IReadOnlyDictionary<string, string> query)
    {
        public bool Has(string name) => query.ContainsKey(name);

        public string? Text(string name) => query.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

        public DateOnly? Date(string name)
        {
            if (Text(name) is not { } text)
                return null;
            return LakeLayout.TryParseDate(text, out var date) ? date : throw new BadParameterException(name, $"must be a date like 2024-03-01, not '{text}'");
        }

        public (DateOnly From, DateOnly To) Range()
        {
            var from = Date("from") ?? throw new BadParameterException("from", "is required (YYYY-MM-DD)");
            var to = Date("to") ?? throw new BadParameterException("to", "is required (YYYY-MM-DD)");
            if (to < from)
                throw new BadParameterException("to", $"{LakeLayout.FormatDate(to)} is before from ({LakeLayout.FormatDate(from)})");
            if (to.DayNumber - from.DayNumber >= MaxRangeDays)
                throw new BadParameterException("to", $"the range may span at most {MaxRangeDays} days");
            return (from, to);
        }

        /// <summary><c>date</c> alone, or <c>from</c> and <c>to</c>.</summary>
        public (DateOnly From, DateOnly To) DateOrRange()
        {
            if (Has("date"))
            {
                if (Has("from") || Has("to"))
                    throw new BadParameterException("date", "give either date or from and to, not both");
                var date = Date("date") ?? throw new BadParameterException("date", "must be a date like 2024-03-01");
                return (date, date);
            }
            if (!Has("from") && !Has("to"))
                throw new BadParameterException("date", "is required (YYYY-MM-DD), or from and to");
            return Range();
        }

        public int Top()
        {
            if (Text("top") is not { } text)
                return DefaultTop;
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var top) && top is >= 1 and <= 1000
                ? top
                : throw new BadParameterException("top", $"must be a whole number from 1 to 1000, not '{text}'");
        }
    }

    private sealed class BadParameterException(string parameter, string message) : Exception(message)
    {
        public string Parameter { get; } = parameter;
    }
}
