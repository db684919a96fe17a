using System.Globalization;
using System.Text.Json;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>
/// The README's first command on the committed sample (samples/shop). The expected numbers were computed
/// independently of this code base (a separate script over the raw CSVs) and checked by hand.
/// </summary>
public sealed class QuickStartTests : IDisposable
{
    private readonly TempLake _lake = new();

    private static string Sample => Path.Combine(RepositoryRoot.Find(), "samples", "shop", "raw");

    [Fact]
    public async Task Run_CommittedSample_GivesHandCheckedKpis()
    {
        var result = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--upload", Sample, "--format", "json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        var daily = json.RootElement.GetProperty("daily").EnumerateArray().Select(Daily).ToList();
        Assert.Equal(["2024-03-01|13|2513.47|30|0.3077|12", "2024-03-02|11|2604.72|31|0|10"], daily);
        var categories = json.RootElement.GetProperty("category").EnumerateArray().Select(Category).ToList();
        Assert.Equal(17, categories.Count);
        Assert.Contains("Socks|2024-03-01|891.11|297.04|0.6667", categories);
        Assert.Contains("Tops, Tees & Shirts|2024-03-01|41.3|10.33|0.25", categories);
        Assert.Contains("Jeans \"Slim Fit\"|2024-03-02|655.52|163.88|0", categories);
        Assert.Contains("Sleep & Lounge|2024-03-01|65.57|65.57|1", categories);
    }

    [Fact]
    public async Task Run_SampleUploadedTwice_GivesTheSameKpis()
    {
        var first = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--upload", Sample, "--format", "json");
        var second = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--upload", Sample, "--format", "json");

        Assert.Equal(0, second.ExitCode);
        Assert.Equal(first.StandardOutput, second.StandardOutput);
        Assert.Contains("batches/2024-03-01/v0002.json", _lake.Keys());
    }

    [Fact]
    public async Task Kpis_AfterRun_PrintsTheStoredKpisAsTables()
    {
        await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--upload", Sample, "--format", "none");

        var result = await KpiJobProcess.RunAsync("kpis", "--lake", _lake.Root);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("DailyKPIs", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("2,513.47", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("30.77 %", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recompute_DateRange_RewritesTheSameKpisFromCuratedData()
    {
        var run = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--upload", Sample, "--format", "json");

        var recompute = await KpiJobProcess.RunAsync("recompute", "--lake", _lake.Root, "--from", "2024-03-01", "--to", "2024-03-31", "--format", "json");

        Assert.Equal(0, recompute.ExitCode);
        Assert.Equal(run.StandardOutput, recompute.StandardOutput);
    }

    private static string Daily(JsonElement row) => string.Join('|',
        row.GetProperty("date_key").GetString(), row.GetProperty("total_orders").GetInt64(), Number(row, "total_revenue"),
        row.GetProperty("total_items_sold").GetInt64(), Number(row, "return_rate"), row.GetProperty("unique_customers").GetInt64());

    private static string Category(JsonElement row) => string.Join('|',
        row.GetProperty("category").GetString(), row.GetProperty("date_key").GetString(), Number(row, "daily_revenue"),
        Number(row, "avg_order_value"), Number(row, "avg_return_rate"));

    private static string Number(JsonElement row, string name) =>
        row.GetProperty(name).GetDecimal().ToString("0.####", CultureInfo.InvariantCulture);

    public void Dispose() => _lake.Dispose();
}
