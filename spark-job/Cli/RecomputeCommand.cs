using System.CommandLine;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Transform;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary><c>recompute</c>: recompute stored KPIs for a date range from the curated order lines.</summary>
internal static class RecomputeCommand
{
    public static Command Create()
    {
        var from = CommonOptions.Date("--from", "First date to recompute (YYYY-MM-DD).");
        from.Required = true;
        var to = CommonOptions.Date("--to", "Last date to recompute, inclusive (YYYY-MM-DD).");
        to.Required = true;
        var lake = CommonOptions.Lake();
        var bucket = CommonOptions.Bucket();
        var engine = CommonOptions.Engine();
        var sparkRemote = CommonOptions.SparkRemote();
        var format = CommonOptions.Format("table", "json", "none");
        var verbose = CommonOptions.Verbose();
        var command = new Command("recompute", "Recompute the KPIs of a date range from all curated order lines of those dates and store them.")
        {
            from, to, lake, bucket, engine, sparkRemote, format, verbose,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(parse.GetValue(verbose), async context =>
        {
            var first = parse.GetValue(from)!.Value;
            var last = parse.GetValue(to)!.Value;
            if (last < first)
                throw new UsageException($"--to {LakeLayout.FormatDate(last)} is before --from {LakeLayout.FormatDate(first)}");
            CommandContext.CheckEngineArguments(parse.GetValue(engine)!, parse.GetValue(sparkRemote));
            await using var target = await LakeTarget.OpenAsync(parse.GetValue(lake), parse.GetValue(bucket), context.Clock, cancellationToken, loggers: context.Logging).ConfigureAwait(false);
            var kpiEngine = context.CreateEngine(parse.GetValue(engine)!, parse.GetValue(sparkRemote), target.Store);
            var snapshot = await Recomputation.RunAsync(target.Store, target.Kpis, kpiEngine, first, last, context.Clock, cancellationToken).ConfigureAwait(false);
            var range = $"{LakeLayout.FormatDate(first)}..{LakeLayout.FormatDate(last)}";
            switch (parse.GetValue(format))
            {
                case "json":
                    KpiTables.WriteJson(Console.OpenStandardOutput(), snapshot);
                    break;
                case "table":
                    KpiTables.Write(context.Out, snapshot);
                    context.Out.MarkupLine($"[grey]Recomputed {snapshot.Daily.Count} date(s) with curated data in {range} on the {kpiEngine.Name} engine.[/]");
                    break;
            }
            return ExitCodes.Success;
        }));
        return command;
    }
}
