using System.CommandLine;
using System.Text.Json.Nodes;
using KpiPipeline.Batching;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Orchestration;
using KpiPipeline.Pipeline;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>
/// <c>run --orchestrator local-sfn</c>: the batches the shared batching logic starts go through the production state machine
/// (statemachine/kpi-pipeline.asl.json) on aws-local-stepfunctions, one execution per batch, with the validator
/// and this KPI job as separate processes, instead of the in-process runner.
/// </summary>
internal static class LocalStateMachineRun
{
    public const string InProcess = "inprocess";
    public const string LocalSfn = "local-sfn";

    /// <summary>The folder inside a local lake that keeps the local run's leases and notifications (not a lake prefix).</summary>
    public const string LocalStateFolder = ".local-sfn";

    /// <summary>With <c>--bucket</c>: the local SNS topics the outcome is published to (the definition's two topic placeholders).</summary>
    public const string SuccessTopicVariable = "KPI_LOCAL_SUCCESS_TOPIC_ARN";

    public const string FailureTopicVariable = "KPI_LOCAL_FAILURE_TOPIC_ARN";

    public static Option<string> Option()
    {
        var option = new Option<string>("--orchestrator")
        {
            Description = "inprocess (default): validate and transform in this process. local-sfn: run each batch through the production "
                + "state machine on aws-local-stepfunctions, with the validator and KPI job as separate processes (needs npm ci and a built validator; "
                + "with --bucket also the built lambda, LOCK_TABLE and a DynamoDB endpoint).",
            DefaultValueFactory = _ => InProcess,
        };
        option.AcceptOnlyFromAmong(InProcess, LocalSfn);
        return option;
    }

    public sealed record MachineRun(PendingBatch Batch, string ManifestKey, LocalExecutionResult Execution, IReadOnlyList<DateOnly> Dates);

    /// <summary>The state machine's errors a retry may fix: the version stays unfinished, for the next run to resume.</summary>
    private static bool Retryable(string? error) => error is "TransformationFailed" or "DateLockUnavailable";

    /// <summary>The batches the shared batching logic starts, each run as one execution of the state machine.</summary>
    public static async Task<int> RunAsync(CommandContext context, LakeTarget target, LocalRun localRun, string? lake, string? bucket, string output, CancellationToken cancellationToken)
    {
        var machine = CreateMachine(lake, bucket);
        await RunCommand.RequireProductsAsync(target, cancellationToken).ConfigureAwait(false);
        ExecuteBatch<MachineRun> execute = async (batch, _, token) =>
        {
            var manifest = await BatchManifest.ReadAsync(target.Store, batch.Input.ManifestKey, token).ConfigureAwait(false);
            var input = new LocalExecutionInput(target.BucketName, batch.Input.BatchId, batch.Input.Version, batch.Input.ManifestKey);
            // The machine's steps are idempotent, so a resumed version runs the whole machine again.
            var execution = await machine.RunAsync(input, token).ConfigureAwait(false);
            var now = context.Clock.GetUtcNow();
            if (execution.Succeeded)
                await localRun.Tracker.TryRecordStepAsync(input.BatchId, input.Version, BatchStep.Archived, null, now, token).ConfigureAwait(false);
            else if (!Retryable(execution.Error))
                await localRun.Tracker.TryRecordStepAsync(input.BatchId, input.Version, BatchStep.Failed, execution.Error ?? "FAILED", now, token).ConfigureAwait(false);
            var dates = execution.Succeeded ? await DatesOfAsync(target.Store, manifest, token).ConfigureAwait(false) : [];
            var pending = new PendingBatch(manifest.BatchDate, manifest.Version, manifest.OrdersKeys, manifest.OrderItemsKeys, manifest.OrdersKeys.Count + manifest.OrderItemsKeys.Count);
            return new MachineRun(pending, manifest.Key, execution, dates);
        };
        var executions = await localRun.RunAsync(execute, cancellationToken).ConfigureAwait(false);

        var touched = executions.SelectMany(e => e.Dates).Distinct().Order().ToList();
        var snapshot = touched.Count == 0
            ? KpiSnapshot.Empty
            : await target.Kpis.ReadAsync(touched[0], touched[^1], cancellationToken).ConfigureAwait(false);
        if (output == "json")
        {
            KpiTables.WriteJson(Console.OpenStandardOutput(), snapshot);
        }
        else if (output == "table")
        {
            foreach (var run in executions)
            {
                var outcome = run.Execution.Succeeded ? "[green]SUCCEEDED[/]" : $"[red]{Markup.Escape(run.Execution.Error ?? "FAILED")}[/]";
                context.Out.MarkupLine($"[bold]Batch {LakeLayout.FormatDate(run.Batch.BatchDate)}[/] v{run.Batch.NextVersion}: {outcome} "
                    + $"[grey]({Markup.Escape(run.Execution.ExecutionName)}, {run.Execution.States.Count} states)[/]");
            }
            if (executions.Count == 0)
                context.Out.MarkupLine($"Nothing new under {Markup.Escape(target.Store.Describe("raw/"))}: every batch there has been processed.");
            else
                KpiTables.Write(context.Out, snapshot);
        }
        foreach (var failed in executions.Where(e => !e.Execution.Succeeded))
            await Console.Error.WriteLineAsync($"kpi-job: {failed.Execution.ExecutionName} ended in {failed.Execution.Error}; see the notification in {NotificationsPlace(lake)}").ConfigureAwait(false);
        return executions.All(e => e.Execution.Succeeded) ? ExitCodes.Success
            : executions.Any(e => Retryable(e.Execution.Error)) ? ExitCodes.Failure
            : ExitCodes.Rejected;
    }

    private static LocalStateMachine CreateMachine(string? lake, string? bucket)
    {
        var root = LocalTools.FindRepositoryRoot(AppContext.BaseDirectory) ?? LocalTools.FindRepositoryRoot(Environment.CurrentDirectory)
            ?? throw new UsageException($"--orchestrator {LocalSfn} runs the state machine of a repository checkout; run kpi-job from inside one.");
        try
        {
            LocalTools.RequireNodeTools(root);
            var options = new LocalStateMachineOptions
            {
                RepositoryRoot = root,
                ValidatorCommand = LocalTools.DotnetCommand(root, "validator", "validator"),
                // This very build of the KPI job stands in for its container.
                KpiJobCommand = SelfCommand.Command(),
            };
            if (lake is not null)
            {
                var state = Path.Combine(Path.GetFullPath(lake), LocalStateFolder);
                return new LocalStateMachine(options with
                {
                    LakeFolder = lake,
                    LockFolder = Path.Combine(state, "locks"),
                    NotificationsFile = Path.Combine(state, "notifications.jsonl"),
                });
            }
            return new LocalStateMachine(options with
            {
                LambdaCommand = LocalTools.DotnetCommand(root, "lambda", "KpiPipeline.Lambda"),
                SuccessTopicArn = Environment.GetEnvironmentVariable(SuccessTopicVariable) is { Length: > 0 } success ? success : options.SuccessTopicArn,
                FailureTopicArn = Environment.GetEnvironmentVariable(FailureTopicVariable) is { Length: > 0 } failure ? failure : options.FailureTopicArn,
                // Without a local SNS the notifications are kept in a file rather than sent to AWS.
                NotificationsFile = AwsClients.EndpointOverride("SNS") is null ? Path.Combine(Environment.CurrentDirectory, LocalStateFolder, "notifications.jsonl") : null,
            });
        }
        catch (LocalStateMachineException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static string NotificationsPlace(string? lake) => lake is not null
        ? Path.Combine(Path.GetFullPath(lake), LocalStateFolder, "notifications.jsonl")
        : AwsClients.EndpointOverride("SNS") is { } sns ? $"the failure topic at {sns}" : Path.Combine(Environment.CurrentDirectory, LocalStateFolder, "notifications.jsonl");

    /// <summary>The dates a batch's KPI job recomputed, from its report (the container's stdout is not returned by ECS).</summary>
    private static async Task<IReadOnlyList<DateOnly>> DatesOfAsync(IObjectStore store, BatchManifest manifest, CancellationToken cancellationToken)
    {
        var key = LakeLayout.TransformationReportKey(manifest.BatchDate, manifest.Version);
        await using var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        var report = await JsonNode.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        return report?["dates"]?.AsArray().Select(d => LakeLayout.TryParseDate((string?)d ?? "", out var date) ? date : (DateOnly?)null)
            .OfType<DateOnly>().ToList() ?? [];
    }
}
