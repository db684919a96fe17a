using System.CommandLine;
using KpiPipeline.Dashboard;
using KpiPipeline.SparkJob.Serving;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.SparkJob.Cli;

/// <summary><c>serve</c>: the KPI dashboard and its JSON API over a lake or a bucket, read-only.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var lake = CommonOptions.Lake();
        var bucket = CommonOptions.Bucket();
        var port = new Option<int>("--port")
        {
            Description = "TCP port to listen on (0: any free port; the address is printed on standard output).",
            DefaultValueFactory = _ => 8080,
        };
        port.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 65535)
                result.AddError("--port must be from 0 to 65535");
        });
        var host = new Option<string>("--host")
        {
            Description = "Address to listen on; the default serves this machine only (0.0.0.0 serves every interface).",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var verbose = CommonOptions.Verbose();
        var command = new Command("serve", "Serve the KPI dashboard (one page) and its JSON API, read-only, until Ctrl+C.")
        {
            lake, bucket, port, host, verbose,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(parse.GetValue(verbose), async context =>
        {
            await using var target = LakeTarget.OpenReadOnly(parse.GetValue(lake), parse.GetValue(bucket), context.Clock, context.Logging);
            var api = new DashboardApi(target.Kpis, new LakeBatchStatusSource(target.Store), target.Store, context.Clock,
                context.Logging.CreateLogger<DashboardApi>());
            await DashboardServer.RunAsync(api, target.Description, parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(verbose), cancellationToken)
                .ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }
}
