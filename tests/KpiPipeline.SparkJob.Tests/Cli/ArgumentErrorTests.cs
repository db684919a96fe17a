using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>Bad arguments get one line on standard error and a non-zero exit code, never a stack trace.</summary>
public sealed class ArgumentErrorTests
{
    [Theory]
    [InlineData("kpi-job: lake folder 'no/such/lake' does not exist", "run", "--lake", "no/such/lake")]
    [InlineData("kpi-job: give exactly one of --lake <folder> or --bucket <name>", "kpis")]
    [InlineData("kpi-job: --from must be a date like 2024-03-01, not '2024-13-01' (see kpi-job --help)", "recompute", "--lake", ".", "--from", "2024-13-01", "--to", "2024-03-02")]
    [InlineData("kpi-job: --to 2024-03-01 is before --from 2024-03-02", "recompute", "--lake", ".", "--from", "2024-03-02", "--to", "2024-03-01")]
    [InlineData("kpi-job: --engine spark needs --spark-remote sc://host:15002/;token=…", "run", "--lake", ".", "--engine", "spark")]
    [InlineData("kpi-job: Unrecognized command or argument '--frobnicate'. (see kpi-job --help)", "run", "--frobnicate")]
    [InlineData("kpi-job: 'rn' is not a command; the commands are init, run, batches, rerun, transform, recompute, kpis, generate, bench, spark-check, serve (see kpi-job --help)", "rn")]
    [InlineData("kpi-job: 'lake' is not a command; the commands are init, run, batches, rerun, transform, recompute, kpis, generate, bench, spark-check, serve (see kpi-job --help)", "lake", "run")]
    [InlineData("kpi-job: no command given; the commands are init, run, batches, rerun, transform, recompute, kpis, generate, bench, spark-check, serve (see kpi-job --help)")]
    public async Task Command_BadArguments_OneLineErrorAndExitCode2(string expected, params string[] arguments)
    {
        var result = await KpiJobProcess.RunAsync(arguments);

        Assert.Equal(expected, result.StandardError.Trim());
        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EngineFromKpiEngineVariable_IsTheDefaultOfEngine()
    {
        // What the Spark task definition sets (infra/PipelineContainers.cs): here without KPI_SPARK_REMOTE.
        var result = await KpiJobProcess.RunAsync(new Dictionary<string, string> { ["KPI_ENGINE"] = "spark" }, "run", "--lake", ".");

        Assert.Equal("kpi-job: --engine spark needs --spark-remote sc://host:15002/;token=…", result.StandardError.Trim());
        Assert.Equal(2, result.ExitCode);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("recompute", "--from", "2024-03-01", "--to", "2024-03-02")]
    [InlineData("transform", "--manifest", "batches/2024-03-01/v0001.json")]
    public async Task Command_BadEngineArguments_CreatesNothingInTheLake(params string[] command)
    {
        var lake = Directory.CreateTempSubdirectory("kpi-cli-");
        try
        {
            var result = await KpiJobProcess.RunAsync([.. command, "--lake", lake.FullName, "--engine", "spark"]);

            Assert.Equal("kpi-job: --engine spark needs --spark-remote sc://host:15002/;token=…", result.StandardError.Trim());
            Assert.Equal(2, result.ExitCode);
            // No lock, KPI database or tracker: the arguments are checked before the lake is opened.
            Assert.Empty(lake.EnumerateFileSystemInfos());
        }
        finally
        {
            lake.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Transform_MissingManifest_OneLineErrorAndExitCode2()
    {
        var lake = Directory.CreateTempSubdirectory("kpi-cli-");
        try
        {
            var result = await KpiJobProcess.RunAsync("transform", "--lake", lake.FullName, "--manifest", "batches/2024-01-01/v0001.json");

            Assert.Equal(2, result.ExitCode);
            Assert.Single(result.StandardError.Trim().Split('\n'));
            Assert.EndsWith("batches/2024-01-01/v0001.json does not exist.", result.StandardError.Trim(), StringComparison.Ordinal);
        }
        finally
        {
            lake.Delete(recursive: true);
        }
    }
}
