using Microsoft.Playwright;

namespace KpiPipeline.Dashboard.Tests;

/// <summary>The page as a person uses it, in Debian's headless chromium driven by Playwright (no downloaded browser).</summary>
[Collection(DashboardCollection.Name)]
public sealed class PageTests(DashboardFixture fixture) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install -y chromium (.ci/steps/05-apt.sh)");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Root in a container has no user namespace for chromium's sandbox.
            Args = ["--no-sandbox"],
        });
    }

    [Fact]
    public async Task Page_Charts_HaveOnePointPerStoredDay()
    {
        var page = await OpenAsync();

        foreach (var chart in (string[])["#revenue-chart", "#orders-chart", "#return-rate-chart"])
            Assert.Equal(fixture.Daily.Count, await page.Locator($"{chart} circle.point").CountAsync());
        var dates = await page.Locator("#revenue-chart circle.point").EvaluateAllAsync<string[]>("points => points.map(p => p.dataset.date)");
        Assert.Equal(fixture.Daily.Select(d => (string)d!["date_key"]!), dates);
        var revenues = await page.Locator("#revenue-chart circle.point").EvaluateAllAsync<string[]>("points => points.map(p => p.dataset.value)");
        Assert.Equal(fixture.Daily.Select(d => (decimal)d!["total_revenue"]!), revenues.Select(v => decimal.Parse(v, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Page_ChoosingADay_UpdatesTheCategoryBreakdown()
    {
        var page = await OpenAsync();
        var day = (string)fixture.Daily[2]!["date_key"]!;
        var expected = fixture.Category.Where(c => (string)c!["date_key"]! == day)
            .OrderByDescending(c => (decimal)c!["daily_revenue"]!).ThenBy(c => (string)c!["category"]!, StringComparer.Ordinal)
            .Take(DashboardApi.DefaultTop).Select(c => (string)c!["category"]!).ToList();
        Assert.NotEqual(day, await page.Locator("#category-chart").GetAttributeAsync("data-date"));

        await page.Locator("#day").SelectOptionAsync(day);
        await page.Locator($"#category-chart[data-date='{day}']").WaitForAsync();

        var bars = await page.Locator("#category-chart rect.bar").EvaluateAllAsync<string[]>("bars => bars.map(b => b.dataset.category)");
        Assert.Equal(expected, bars);
        await SaveScreenshotAsync(page);
    }

    private async Task<IPage> OpenAsync()
    {
        var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                errors.Add(message.Text);
        };
        var response = await page.GotoAsync(fixture.Serve.Url.ToString());
        Assert.Equal(200, response!.Status);
        Assert.Empty(errors);
        return page;
    }

    /// <summary>The test artifact (next to the TRX files); the README's docs/dashboard.png is a copy of it.</summary>
    private static async Task SaveScreenshotAsync(IPage page)
    {
        var folder = Environment.GetEnvironmentVariable("TEST_RESULTS_DIR") is { Length: > 0 } results
            ? results
            : Path.Combine(Testing.RepositoryRoot.Find(), "artifacts", "test-results");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "dashboard.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 10_000, $"{path} is too small to be a screenshot of the page");
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
