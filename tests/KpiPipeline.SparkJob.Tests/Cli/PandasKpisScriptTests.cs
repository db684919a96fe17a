using KpiPipeline.Samples;
using KpiPipeline.SparkJob.Cli;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>
/// The pandas script <c>bench --compare pandas</c> times computes the KPIs <c>kpi-job run</c> stores, to the last
/// digit. These need Python 3 with pandas, which CI installs (python3-pandas in .ci/steps/05-apt.sh): without it
/// they fail rather than skip, since a comparison that quietly never runs would let the script drift.
/// </summary>
public sealed class PandasKpisScriptTests
{
    private static readonly string Script = Path.Combine(RepositoryRoot.Find(), "tests", "KpiPipeline.PandasBench", "pandas_kpis.py");

    [Fact]
    public async Task PandasScript_LakeWithLateAndReturnedOrders_KpisEqualKpiJobRun()
    {
        using var lake = new TempLake();
        await SampleGenerator.WriteAsync(lake.Store, new SampleOptions { Items = 3_000, Days = 3, PartsPerDay = 2, LateShare = 0.05 }, null, CancellationToken.None);

        var pandas = await RunPandasAsync(lake);
        var ours = await RunKpiJobAsync(lake);

        Assert.Null(BenchCommand.KpiJsonDifference(ours, pandas));
        // The lake has what the rules are about: late orders give a date before the first batch, and orders are returned.
        Assert.Contains("\"date_key\": \"2024-02-29\"", pandas, StringComparison.Ordinal);
        Assert.Matches("\"return_rate\": 0\\.[0-9]*[1-9]", pandas);
    }

    [Fact]
    public async Task PandasScript_LaterBatchDeliversLinesAgainNowReturned_CountsTheNewestCopyOnceAsKpiJobDoes()
    {
        using var lake = new TempLake();
        await SampleGenerator.WriteAsync(lake.Store, new SampleOptions { Items = 3_000, Days = 3, PartsPerDay = 2, LateShare = 0.05 }, null, CancellationToken.None);
        var asFirstDelivered = await RunPandasAsync(lake);
        // The next day's export holds the first day's first part again, every fifth item of it returned since.
        File.Copy(lake.PathOf("raw/orders/2024-03-01/part-0000.csv"), lake.PathOf("raw/orders/2024-03-02/part-0009.csv"));
        var items = File.ReadAllLines(lake.PathOf("raw/order_items/2024-03-01/part-0000.csv"));
        lake.Write("raw/order_items/2024-03-02/part-0009.csv", string.Join('\n', items.Select((line, index) => index > 0 && index % 5 == 0 ? Returned(line) : line)) + "\n");

        var pandas = await RunPandasAsync(lake);
        var ours = await RunKpiJobAsync(lake);

        Assert.Null(BenchCommand.KpiJsonDifference(ours, pandas));
        Assert.NotNull(BenchCommand.KpiJsonDifference(asFirstDelivered, pandas)); // the returns delivered later count

        static string Returned(string line)
        {
            var fields = line.Split(','); // id,order_id,product_id,sale_price,quantity,status,…: nothing quoted
            fields[5] = "Returned";
            return string.Join(',', fields);
        }
    }

    /// <summary>The KPIs the pandas script writes for the lake's raw files.</summary>
    private static async Task<string> RunPandasAsync(TempLake lake)
    {
        var python = BenchCommand.FindPython(null);
        var output = Path.Combine(lake.Root, "pandas-kpis.json");
        var result = await KpiJobProcess.RunCommandAsync([python.Executable, Script, lake.Root, output]);
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("\"peak_working_set_bytes\": ", result.StandardOutput, StringComparison.Ordinal);
        return await File.ReadAllTextAsync(output);
    }

    /// <summary>Runs kpi-job on the lake (which moves its raw files on) and returns the KPIs it stored.</summary>
    private static async Task<string> RunKpiJobAsync(TempLake lake)
    {
        var run = await KpiJobProcess.RunAsync("run", "--lake", lake.Root, "--format", "none");
        Assert.True(run.ExitCode == 0, run.StandardError);
        var kpis = await KpiJobProcess.RunAsync("kpis", "--lake", lake.Root, "--format", "json");
        Assert.True(kpis.ExitCode == 0, kpis.StandardError);
        return kpis.StandardOutput;
    }
}
