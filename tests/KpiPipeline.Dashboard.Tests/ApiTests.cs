using System.Net;
using System.Text.Json.Nodes;

namespace KpiPipeline.Dashboard.Tests;

/// <summary>Every endpoint against what <c>kpi-job kpis --format json</c> prints for the same lake.</summary>
[Collection(DashboardCollection.Name)]
public sealed class ApiTests(DashboardFixture fixture)
{
    private string FirstDate => (string)fixture.Daily[0]!["date_key"]!;

    private string LastDate => (string)fixture.Daily[^1]!["date_key"]!;

    [Fact]
    public async Task Daily_WholeRange_EqualsKpisJson()
    {
        var body = await GetJsonAsync($"api/daily?from={FirstDate}&to={LastDate}");

        Assert.True(fixture.Daily.Count >= 14, $"the generated lake has {fixture.Daily.Count} days");
        AssertSameRows(fixture.Daily, body["daily"]!.AsArray());
    }

    [Fact]
    public async Task Daily_SubRange_EqualsKpisJsonOfThatRange()
    {
        var from = (string)fixture.Daily[3]!["date_key"]!;
        var to = (string)fixture.Daily[8]!["date_key"]!;
        var expected = JsonNode.Parse(await DashboardFixture.RunAsync("kpis", "--lake", fixture.Lake.Root, "--from", from, "--to", to, "--format", "json"))!;

        var body = await GetJsonAsync($"api/daily?from={from}&to={to}");

        AssertSameRows(expected["daily"]!.AsArray(), body["daily"]!.AsArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public async Task Categories_OneDateTopN_EqualsTopOfKpisJsonByRevenue(int top)
    {
        var date = (string)fixture.Daily[5]!["date_key"]!;
        var expected = TopByRevenue(fixture.Category.Where(c => (string)c!["date_key"]! == date), top);

        var body = await GetJsonAsync($"api/categories?date={date}&top={top}");

        AssertSameRows(expected, body["category"]!.AsArray());
    }

    [Fact]
    public async Task Categories_Range_IsTheTopOfEachDate()
    {
        var from = (string)fixture.Daily[2]!["date_key"]!;
        var to = (string)fixture.Daily[4]!["date_key"]!;
        var expected = fixture.Category
            .Where(c => string.CompareOrdinal((string)c!["date_key"]!, from) >= 0 && string.CompareOrdinal((string)c!["date_key"]!, to) <= 0)
            .GroupBy(c => (string)c!["date_key"]!)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .SelectMany(g => TopByRevenue(g, 2));

        var body = await GetJsonAsync($"api/categories?from={from}&to={to}&top=2");

        AssertSameRows(expected, body["category"]!.AsArray());
    }

    [Fact]
    public async Task WeekOverWeek_EqualsSumsOfKpisJson()
    {
        var to = DateOnly.Parse(LastDate, System.Globalization.CultureInfo.InvariantCulture);
        decimal Revenue(int fromDaysBack, int toDaysBack) => fixture.Daily
            .Where(d => DateOnly.Parse((string)d!["date_key"]!, System.Globalization.CultureInfo.InvariantCulture) is var date
                && date >= to.AddDays(-fromDaysBack) && date <= to.AddDays(-toDaysBack))
            .Sum(d => (decimal)d!["total_revenue"]!);

        var body = await GetJsonAsync($"api/week-over-week?to={LastDate}");

        var revenue = body["metrics"]!.AsArray().Single(m => (string)m!["metric"]! == "total_revenue")!;
        Assert.Equal(Revenue(6, 0), (decimal)revenue["this_week"]!);
        Assert.Equal(Revenue(13, 7), (decimal)revenue["previous_week"]!);
        Assert.Equal(Math.Round((Revenue(6, 0) - Revenue(13, 7)) / Revenue(13, 7), 6), (decimal)revenue["change"]!);
    }

    [Fact]
    public async Task Batches_ListEveryManifestOfTheLake_WithTheirReports()
    {
        var manifests = Directory.EnumerateFiles(Path.Combine(fixture.Lake.Root, "batches"), "v*.json", SearchOption.AllDirectories)
            .Select(path => $"batches/{Path.GetFileName(Path.GetDirectoryName(path))}/{Path.GetFileName(path)}")
            .Order(StringComparer.Ordinal)
            .ToList();

        var batches = (await GetJsonAsync("api/batches"))["batches"]!.AsArray();

        Assert.Equal(manifests, batches.Select(b => (string)b!["manifest_key"]!).Order(StringComparer.Ordinal));
        Assert.All(batches, b => Assert.Equal("succeeded", (string)b!["state"]!));
        var report = await GetJsonAsync((string)batches[0]!["validation"]!);
        var stored = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture.Lake.Root, (string)report["report_key"]!)))!;
        Assert.Equal((string)stored["outcome"]!, (string)report["outcome"]!);
        Assert.Equal(stored["files"]!.AsArray().Sum(f => (long)f!["rejected"]!), (long)report["rows_rejected"]!);
        Assert.Equal(stored["files"]!.AsArray().Count, report["files"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("api/daily?to=2024-03-02", "from")]
    [InlineData("api/daily?from=2024-03-01", "to")]
    [InlineData("api/daily?from=2024-13-01&to=2024-03-02", "from")]
    [InlineData("api/daily?from=2024-03-05&to=2024-03-02", "to")]
    [InlineData("api/daily?from=2020-01-01&to=2024-03-02", "to")]
    [InlineData("api/categories", "date")]
    [InlineData("api/categories?date=yesterday", "date")]
    [InlineData("api/categories?date=2024-03-01&top=0", "top")]
    [InlineData("api/categories?date=2024-03-01&top=ten", "top")]
    [InlineData("api/week-over-week", "to")]
    [InlineData("api/batches/March/v0001/validation", "batchId")]
    [InlineData("api/batches/2024-03-01/latest/validation", "version")]
    [InlineData("api/objects?key=kpis.db", "key")]
    [InlineData("api/objects?key=invalid/../kpis.db", "key")]
    [InlineData("charts/categories?date=2024-02-30", "date")]
    public async Task Endpoint_BadParameter_Is400ProblemNamingIt(string path, string parameter)
    {
        using var response = await fixture.Http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)problem["status"]!);
        Assert.Equal(parameter, (string)problem["parameter"]!);
        Assert.StartsWith(parameter + ":", (string)problem["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownPath_Is404Problem()
    {
        using var response = await fixture.Http.GetAsync(new Uri("api/nothing", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Post_Is405Problem()
    {
        using var response = await fixture.Http.PostAsync(new Uri("api/daily", UriKind.Relative), new StringContent("{}"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    private static JsonArray TopByRevenue(IEnumerable<JsonNode?> rows, int top) =>
        new([.. rows.OrderByDescending(c => (decimal)c!["daily_revenue"]!).ThenBy(c => (string)c!["category"]!, StringComparer.Ordinal)
            .Take(top).Select(c => c!.DeepClone())]);

    private static void AssertSameRows(IEnumerable<JsonNode?> expected, JsonArray actual)
    {
        var expectedRows = expected.ToList();
        Assert.NotEmpty(expectedRows);
        Assert.Equal(expectedRows.Count, actual.Count);
        for (var i = 0; i < expectedRows.Count; i++)
            Assert.True(JsonNode.DeepEquals(expectedRows[i], actual[i]), $"row {i}: expected {expectedRows[i]?.ToJsonString()}, got {actual[i]?.ToJsonString()}");
    }

    private async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await fixture.Http.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        return JsonNode.Parse(text)!;
    }
}
