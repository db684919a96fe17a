using KpiPipeline.Testing;

namespace KpiPipeline.Dashboard.Tests;

/// <summary>serve never writes to the lake, and stops cleanly on a real signal.</summary>
[Collection(DashboardCollection.Name)]
public sealed class ReadOnlyTests(DashboardFixture fixture)
{
    [Fact]
    public async Task Serve_WholeSessionThenSigterm_LeavesLakeUnchangedAndExitsZero()
    {
        await using var serve = await ServeProcess.StartAsync("--lake", fixture.Lake.Root);
        using var http = new HttpClient { BaseAddress = serve.Url };
        var batches = (await http.GetStringAsync(new Uri("api/batches", UriKind.Relative)));
        var days = fixture.Daily.Select(d => (string)d!["date_key"]!).ToList();
        foreach (var path in (string[])["", $"api/daily?from={days[0]}&to={days[^1]}", $"api/categories?date={days[0]}", $"api/week-over-week?to={days[^1]}",
            $"charts/categories?date={days[^1]}", $"api/batches/{days[0]}/v0001/validation", "api/objects?key=invalid/none.rejects.csv"])
        {
            using var _ = await http.GetAsync(new Uri(path, UriKind.Relative));
        }
        using (await http.DeleteAsync(new Uri("api/daily", UriKind.Relative)))
        {
        }

        var exitCode = await serve.SignalAndWaitAsync("TERM");

        Assert.Contains("succeeded", batches, StringComparison.Ordinal);
        Assert.Equal(0, exitCode);
        Assert.Equal(fixture.ListingAfterRun, DashboardFixture.Listing(fixture.Lake.Root));
    }

    [Fact]
    public async Task Serve_LakeWithoutKpis_CreatesNoDatabaseAndShowsEmptyCharts()
    {
        using var lake = new TempLake();
        lake.Write("raw/products/products.csv", "id,sku,cost,category,retail_price\n");
        var before = DashboardFixture.Listing(lake.Root);
        await using var serve = await ServeProcess.StartAsync("--lake", lake.Root);
        using var http = new HttpClient { BaseAddress = serve.Url };

        var page = await http.GetStringAsync(new Uri("", UriKind.Relative));
        var daily = await http.GetStringAsync(new Uri("api/daily?from=2024-03-01&to=2024-03-31", UriKind.Relative));
        var exitCode = await serve.SignalAndWaitAsync("INT");

        Assert.Contains("no KPIs stored for these dates", page, StringComparison.Ordinal);
        Assert.Contains("\"daily\": []", daily, StringComparison.Ordinal);
        Assert.Equal(0, exitCode);
        Assert.False(lake.Exists("kpis.db"));
        Assert.Equal(before, DashboardFixture.Listing(lake.Root));
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Serve_Signal_IsHandledByTheCommandLineAlone_AndExitsZero(string signal)
    {
        using var lake = new TempLake();
        // Verbose: the host's console lifetime, were it installed, would say so on start and on the signal.
        await using var serve = await ServeProcess.StartAsync("--lake", lake.Root, "--verbose");
        using (var http = new HttpClient { BaseAddress = serve.Url })
            Assert.Contains("\"daily\": []", await http.GetStringAsync(new Uri("api/daily?from=2024-03-01&to=2024-03-31", UriKind.Relative)), StringComparison.Ordinal);

        var exitCode = await serve.SignalAndWaitAsync(signal);

        Assert.Equal(0, exitCode);
        var log = await serve.StandardErrorAsync;
        Assert.Contains("Request finished", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Application is shutting down", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Press Ctrl+C", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_MissingLake_ExitsTwoWithOneLine()
    {
        var result = await KpiJobProcess.RunAsync("serve", "--lake", Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N")), "--port", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", result.StandardError, StringComparison.Ordinal);
        Assert.Single(result.StandardError.Trim().Split('\n'));
    }
}
