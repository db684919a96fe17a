using System.CommandLine;

namespace KpiPipeline.SparkJob.Cli;

/// <summary><c>kpis</c>: print the stored KPIs.</summary>
internal static class KpisCommand
{
    public static Command Create()
    {
        var lake = CommonOptions.Lake();
        var bucket = CommonOptions.Bucket();
        var from = CommonOptions.Date("--from", "Only dates from this one (YYYY-MM-DD).");
        var to = CommonOptions.Date("--to", "Only dates up to this one, inclusive (YYYY-MM-DD).");
        var format = CommonOptions.Format("table", "json");
        var verbose = CommonOptions.Verbose();
        var command = new Command("kpis", "Print the stored DailyKPIs and CategoryKPIs (from the lake's SQLite store, or DynamoDB with --bucket).")
        {
            lake, bucket, from, to, format, verbose,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(parse.GetValue(verbose), async context =>
        {
            await using var target = await LakeTarget.OpenAsync(parse.GetValue(lake), parse.GetValue(bucket), context.Clock, cancellationToken, loggers: context.Logging).ConfigureAwait(false);
            var snapshot = await target.Kpis.ReadAsync(parse.GetValue(from), parse.GetValue(to), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(format) == "json")
                KpiTables.WriteJson(Console.OpenStandardOutput(), snapshot);
            else
                KpiTables.Write(context.Out, snapshot);
            return ExitCodes.Success;
        }));
        return command;
    }
}
