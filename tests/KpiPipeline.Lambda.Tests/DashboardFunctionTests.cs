using System.Text;
using System.Text.Json.Nodes;
using KpiPipeline.Dashboard;
using KpiPipeline.Kpis;
using KpiPipeline.Lambda.Events;
using KpiPipeline.Stores;
using KpiPipeline.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiPipeline.Lambda.Tests;

/// <summary>dashboard-api: API Gateway HTTP API events in, the dashboard API's answers out as HTTP API responses.</summary>
public sealed class DashboardFunctionTests : IAsyncLifetime
{
    private static readonly DailyKpi[] Days =
    [
        new(new DateOnly(2024, 3, 1), 12, 1234.50m, 30, 0.0833m, 11),
        new(new DateOnly(2024, 3, 2), 7, 99.99m, 9, 0m, 7),
        new(new DateOnly(2024, 3, 3), 5, 50m, 5, 0.2m, 5),
    ];

    private readonly TempLake _lake = new();
    private SqliteKpiStore _kpis = null!;

    public async Task InitializeAsync()
    {
        _kpis = await SqliteKpiStore.OpenInLakeAsync(_lake.Root, default);
        await _kpis.WriteAsync(new KpiSnapshot(Days, []), new KpiLineage("2024-03-03", DateTimeOffset.UnixEpoch), default);
    }

    [Fact]
    public async Task HandleAsync_HttpApiEvent_AnswersTheRangeAsAnHttpApiResponse()
    {
        var response = await InvokeAsync(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Events", "http-api-daily.json")));

        Assert.Equal(200, (int)response["statusCode"]!);
        Assert.False((bool)response["isBase64Encoded"]!);
        Assert.StartsWith("application/json", (string)response["headers"]!["content-type"]!, StringComparison.Ordinal);
        var daily = JsonNode.Parse((string)response["body"]!)!["daily"]!.AsArray();
        Assert.Equal(Days.Take(2).Select(d => d.TotalRevenue), daily.Select(d => (decimal)d!["total_revenue"]!));
    }

    [Fact]
    public async Task HandleAsync_BadDateOnANamedStage_Is400ProblemNamingTheParameter()
    {
        var response = await InvokeAsync(Event("/prod/api/categories", "date=2024-03-32", stage: "prod"));

        Assert.Equal(400, (int)response["statusCode"]!);
        Assert.Equal(Problems.ContentType, (string)response["headers"]!["content-type"]!);
        var problem = JsonNode.Parse((string)response["body"]!)!;
        Assert.Equal("date", (string)problem["parameter"]!);
        Assert.Equal("/api/categories", (string)problem["instance"]!);
    }

    [Fact]
    public async Task HandleAsync_EncodedQuery_IsDecodedOnce()
    {
        var response = await InvokeAsync(Event("/api/daily", "from=2024-03-02&to=2024%2D03%2D03"));

        var daily = JsonNode.Parse((string)response["body"]!)!["daily"]!.AsArray();
        Assert.Equal(["2024-03-02", "2024-03-03"], daily.Select(d => (string)d!["date_key"]!));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"version":"1.0","path":"/api/daily","httpMethod":"GET"}""")]
    [InlineData("[")]
    public async Task HandleAsync_NotAnHttpApiEvent_FailsAsInvalidEvent(string json)
    {
        await Assert.ThrowsAsync<InvalidEventException>(() => InvokeAsync(json));
    }

    private static string Event(string rawPath, string rawQuery, string stage = "$default") => new JsonObject
    {
        ["version"] = "2.0",
        ["rawPath"] = rawPath,
        ["rawQueryString"] = rawQuery,
        ["requestContext"] = new JsonObject { ["stage"] = stage, ["http"] = new JsonObject { ["method"] = "GET", ["path"] = rawPath } },
    }.ToJsonString();

    private async Task<JsonNode> InvokeAsync(string json)
    {
        var store = _lake.Store;
        var api = new DashboardApi(_kpis, new LakeBatchStatusSource(store), store, TimeProvider.System, NullLogger<DashboardApi>.Instance);
        var function = new DashboardFunction(api, NullLoggerFactory.Instance);
        await using var output = await function.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        return (await JsonNode.ParseAsync(output))!;
    }

    public async Task DisposeAsync()
    {
        await _kpis.DisposeAsync();
        _lake.Dispose();
    }
}
