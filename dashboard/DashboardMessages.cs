namespace KpiPipeline.Dashboard;

/// <summary>A GET as either host sees it: the path below the API's root and the decoded query parameters.</summary>
public sealed record DashboardRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query)
{
    public static DashboardRequest Get(string path, IReadOnlyDictionary<string, string>? query = null) =>
        new("GET", path, query ?? new Dictionary<string, string>());
}

/// <summary>What either host sends back: a status, a content type and the body.</summary>
public sealed record DashboardResponse(int StatusCode, string ContentType, ReadOnlyMemory<byte> Body);
