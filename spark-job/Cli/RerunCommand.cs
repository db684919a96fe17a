using System.CommandLine;
using System.Diagnostics;
using KpiPipeline.Lake;

namespace KpiPipeline.SparkJob.Cli;

/// <summary><c>rerun</c>: run one tracked batch again, with every file it has, as its next version.</summary>
internal static class RerunCommand
{
    public static Command Create()
    {
        var lake = CommonOptions.Lake();
        var bucket = CommonOptions.Bucket();
        var date = CommonOptions.Date("--date", "The batch to run again (its date, 2024-03-01).");
        date.Required = true;
        var version = new Option<int?>("--version") { Description = "The batch's latest version as `kpi-job batches` showed it; refused if the batch has moved on since." };
        var engine = CommonOptions.Engine();
        var sparkRemote = CommonOptions.SparkRemote();
        var format = CommonOptions.Format("table", "json", "none");
        var verbose = CommonOptions.Verbose();
        var wait = LocalRun.WaitOption();
        var command = new Command("rerun", "Run one batch again (after fixing what made it fail) as a new version, then show its KPIs.")
        {
            lake, bucket, date, version, engine, sparkRemote, format, verbose, wait,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(parse.GetValue(verbose), async context =>
        {
            CommandContext.CheckEngineArguments(parse.GetValue(engine)!, parse.GetValue(sparkRemote));
            await using var target = await LakeTarget.OpenAsync(parse.GetValue(lake), parse.GetValue(bucket), context.Clock, cancellationToken, loggers: context.Logging).ConfigureAwait(false);
            await using var run = await LocalRun.BeginAsync(context, target, parse.GetValue(wait), cancellationToken).ConfigureAwait(false);
            var kpiEngine = context.CreateEngine(parse.GetValue(engine)!, parse.GetValue(sparkRemote), target.Store);
            await RunCommand.RequireProductsAsync(target, cancellationToken).ConfigureAwait(false);
            var output = parse.GetValue(format)!;
            var stopwatch = Stopwatch.StartNew();
            var batchId = LakeLayout.FormatDate(parse.GetValue(date)!.Value);
            var results = await RunCommand.WithProgressAsync(context, output == "table",
                (progress, starting) => run.RunInProcessAsync(kpiEngine, progress, starting, cancellationToken, (batchId, parse.GetValue(version)))).ConfigureAwait(false);
            await RunCommand.WriteResultsAsync(context, target, results, output, stopwatch, cancellationToken).ConfigureAwait(false);
            return RunCommand.ExitCodeOf(results);
        }));
        return command;
    }
}
