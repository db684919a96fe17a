using System.CommandLine;
using System.Text.Json;
using KpiPipeline.Transform;

namespace KpiPipeline.SparkJob.Cli;

/// <summary><c>transform</c>: the KPI job container's entry point for one batch manifest.</summary>
internal static class TransformCommand
{
    public static Command Create()
    {
        var manifest = new Option<string>("--manifest") { Description = "Key of the batch manifest (batches/YYYY-MM-DD/vNNNN.json).", Required = true };
        var lake = CommonOptions.Lake();
        var bucket = CommonOptions.Bucket();
        var engine = CommonOptions.Engine();
        var sparkRemote = CommonOptions.SparkRemote();
        var verbose = CommonOptions.Verbose();
        var command = new Command("transform", "Join a validated batch, recompute the dates it touched, store the KPIs and archive its files. Prints a JSON summary.")
        {
            manifest, lake, bucket, engine, sparkRemote, verbose,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(parse.GetValue(verbose), async context =>
        {
            CommandContext.CheckEngineArguments(parse.GetValue(engine)!, parse.GetValue(sparkRemote));
            await using var target = await LakeTarget.OpenAsync(parse.GetValue(lake), parse.GetValue(bucket), context.Clock, cancellationToken, loggers: context.Logging).ConfigureAwait(false);
            var kpiEngine = context.CreateEngine(parse.GetValue(engine)!, parse.GetValue(sparkRemote), target.Store);
            var result = await context.CreateJob(target, kpiEngine).RunAsync(parse.GetValue(manifest)!, null, cancellationToken).ConfigureAwait(false);
            await using var stdout = Console.OpenStandardOutput();
            await JsonSerializer.SerializeAsync(stdout, result, KpiJobJsonContext.Default.KpiJobResult, cancellationToken).ConfigureAwait(false);
            stdout.WriteByte((byte)'\n');
            return ExitCodes.Success;
        }));
        return command;
    }
}
