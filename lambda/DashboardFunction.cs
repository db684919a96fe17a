using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using KpiPipeline.Dashboard;
using KpiPipeline.Lambda.Events;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda;

/// <summary>
/// <c>dashboard-api</c>: API Gateway HTTP API (payload format 2.0) requests answered by the same
/// <see cref="DashboardApi"/> as <c>kpi-job serve</c>, reading the KPI tables by key and the bucket's batch
/// manifests and reports. Bad parameters and unknown paths are HTTP answers (problem details), not failed invocations.
/// </summary>
public sealed class DashboardFunction(DashboardApi api, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<DashboardFunction>();

    public Task<Stream> HandleAsync(Stream input, CancellationToken cancellationToken = default) =>
        HandlerInvocation.RunAsync(FunctionCatalog.DashboardApi, input, _logger, HandleCoreAsync, cancellationToken);

    private async Task<object> HandleCoreAsync(Stream input, CancellationToken cancellationToken)
    {
        var request = await ParseAsync(input, cancellationToken).ConfigureAwait(false);
        var response = await api.HandleAsync(request, cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, string>(DashboardApi.ResponseHeaders) { ["content-type"] = response.ContentType };
        // Every body the API writes is UTF-8 text (JSON, HTML, SVG, CSV), so no base64 is needed.
        var body = request.Method == "HEAD" ? "" : Encoding.UTF8.GetString(response.Body.Span);
        return new HttpResponse(response.StatusCode, headers, body, false);
    }

    /// <exception cref="InvalidEventException">Not an HTTP API payload 2.0 request.</exception>
    public static async Task<DashboardRequest> ParseAsync(Stream input, CancellationToken cancellationToken)
    {
        HttpApiEvent? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<HttpApiEvent>(input, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new InvalidEventException($"not an API Gateway HTTP API event: {e.Message}", e);
        }
        if (request is null || request.Version != "2.0" || request.RequestContext?.Http?.Method is not { Length: > 0 } method || request.RawPath is not { Length: > 0 } path)
            throw new InvalidEventException("not an API Gateway HTTP API event (payload format 2.0 with requestContext.http.method and rawPath)");
        // A named stage prefixes the path ("/prod/api/daily"); the API's resources are below it.
        if (request.RequestContext.Stage is { Length: > 0 } stage && stage != "$default" && path.StartsWith($"/{stage}/", StringComparison.Ordinal))
            path = path[(stage.Length + 1)..];
        return new DashboardRequest(method.ToUpperInvariant(), path, ParseQuery(request.RawQueryString));
    }

    /// <summary>The raw query string decoded once (queryStringParameters joins repeated names with commas).</summary>
    private static Dictionary<string, string> ParseQuery(string? raw)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (raw ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString((equals < 0 ? pair : pair[..equals]).Replace('+', ' '));
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            query.TryAdd(name, value);
        }
        return query;
    }

    private sealed record HttpApiEvent(
        [property: JsonPropertyName("version")] string? Version,
        [property: JsonPropertyName("rawPath")] string? RawPath,
        [property: JsonPropertyName("rawQueryString")] string? RawQueryString,
        [property: JsonPropertyName("requestContext")] HttpApiContext? RequestContext);

    private sealed record HttpApiContext(
        [property: JsonPropertyName("stage")] string? Stage,
        [property: JsonPropertyName("http")] HttpApiHttp? Http);

    private sealed record HttpApiHttp([property: JsonPropertyName("method")] string? Method);

    private sealed record HttpResponse(
        [property: JsonPropertyName("statusCode")] int StatusCode,
        [property: JsonPropertyName("headers")] IReadOnlyDictionary<string, string> Headers,
        [property: JsonPropertyName("body")] string Body,
        [property: JsonPropertyName("isBase64Encoded")] bool IsBase64Encoded);
}
