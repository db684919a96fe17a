using System.CommandLine;
using KpiPipeline.SparkJob.SparkConnect;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary><c>spark-check</c>: prove the Spark engine against a real Spark Connect server in one command.</summary>
internal static class SparkCheckCommand
{
    public static Command Create()
    {
        var sparkRemote = CommonOptions.SparkRemote();
        var location = new Option<string?>("--location")
        {
            Description = "Where Spark writes the sample Parquet: an s3a://bucket/prefix/ or a folder on the Spark machine (default: a new temporary folder here, for a Spark on this machine).",
        };
        var verbose = CommonOptions.Verbose();
        var command = new Command("spark-check", "Print the Spark server's version, have it write and read back a small curated Parquet sample, run the KPI queries on it and compare them with the in-process engine.")
        {
            sparkRemote, location, verbose,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(parse.GetValue(verbose), async context =>
        {
            var client = context.CreateSparkClient(parse.GetValue(sparkRemote));
            var given = parse.GetValue(location);
            var temporary = given is null ? Directory.CreateTempSubdirectory("kpi-spark-check-") : null;
            try
            {
                var target = given switch
                {
                    null => HadoopPath.FromLocalFolder(temporary!.FullName),
                    _ when given.Contains("://", StringComparison.Ordinal) => given,
                    _ => HadoopPath.FromLocalFolder(given),
                };
                var result = await new SparkCheck(client).RunAsync(target, cancellationToken).ConfigureAwait(false);
                Report(context.Out, client, result);
                return result.Passed ? ExitCodes.Success : ExitCodes.Failure;
            }
            catch (ArgumentException e) when (given is not null)
            {
                throw new UsageException(e.Message);
            }
            finally
            {
                temporary?.Delete(recursive: true);
            }
        }));
        return command;
    }

    private static void Report(IAnsiConsole console, SparkConnectClient client, SparkCheckResult result)
    {
        console.MarkupLineInterpolated($"Spark {result.SparkVersion} at {client.Endpoint}");
        console.MarkupLineInterpolated($"Wrote {result.LinesWritten} curated order lines as Parquet under {result.Location} and read {result.LinesRead} back.");
        KpiTables.Write(console, result.Actual);
        if (result.Passed)
        {
            console.MarkupLineInterpolated($"[green]OK[/]: Spark's KPIs equal the in-process engine's ({result.Actual.Daily.Count} daily and {result.Actual.Category.Count} category rows).");
            return;
        }

        console.MarkupLine("[red]MISMATCH[/]: the in-process engine computes:");
        KpiTables.Write(console, result.Expected);
    }
}
