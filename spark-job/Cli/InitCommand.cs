using System.CommandLine;
using KpiPipeline.Lake;
using KpiPipeline.Stores;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary><c>init --bucket</c>: create the bucket and the four tables a bucket-backed run needs, where missing.</summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var bucket = new Option<string>("--bucket")
        {
            Description = "The S3 bucket to create if missing. Tables are named by DAILY_KPIS_TABLE, CATEGORY_KPIS_TABLE, TRACKER_TABLE and LOCK_TABLE (defaults DailyKPIs, CategoryKPIs, BatchFileTracker, BatchDateLocks).",
            Required = true,
        };
        var verbose = CommonOptions.Verbose();
        var command = new Command("init", "Create the bucket and the KPI, tracker and lock tables where missing (for local emulators or a first set-up; in AWS the CDK stack owns them). Idempotent; never alters an existing table.")
        {
            bucket, verbose,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(parse.GetValue(verbose), async context =>
        {
            using var s3 = AwsClients.CreateS3();
            using var dynamo = DynamoDbClients.Create();
            var provisioner = new PipelineProvisioner(s3, dynamo, context.Clock);
            var resources = await provisioner.EnsureAsync(parse.GetValue(bucket)!, PipelineTableNames.FromEnvironment(), cancellationToken).ConfigureAwait(false);
            foreach (var resource in resources)
                context.Out.MarkupLine($"{(resource.Created ? "created" : "exists ")} {resource.Kind} {Markup.Escape(resource.Name)}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
