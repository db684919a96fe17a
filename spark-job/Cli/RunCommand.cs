using System.CommandLine;
using System.Diagnostics;
using KpiPipeline.Lake;
using KpiPipeline.Pipeline;
using KpiPipeline.Transform;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Profiling;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary><c>run</c>: discover the batches waiting under <c>raw/</c>, validate, transform, store and show the KPIs.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var lake = CommonOptions.Lake();
        var bucket = CommonOptions.Bucket();
        var upload = new Option<string?>("--upload")
        {
            Description = "Copy this folder's files into the lake's raw/ first (like `aws s3 cp --recursive <folder> s3://bucket/raw/`).",
        };
        var engine = CommonOptions.Engine();
        var sparkRemote = CommonOptions.SparkRemote();
        var format = CommonOptions.Format("table", "json", "none");
        var verbose = CommonOptions.Verbose();
        var stats = new Option<bool>("--stats") { Description = "Print timings and peak memory as one JSON line on standard output (used by bench)." };
        var orchestrator = LocalStateMachineRun.Option();
        var wait = LocalRun.WaitOption();
        var command = new Command("run", "Resume every unfinished batch, then run every batch waiting under raw/ through validation and the KPI job, and show the KPIs.")
        {
            lake, bucket, upload, engine, sparkRemote, format, verbose, stats, orchestrator, wait,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(parse.GetValue(verbose), async context =>
        {
            var started = context.Clock.GetUtcNow();
            CommandContext.CheckEngineArguments(parse.GetValue(engine)!, parse.GetValue(sparkRemote));
            await using var target = await LakeTarget.OpenAsync(parse.GetValue(lake), parse.GetValue(bucket), context.Clock, cancellationToken,
                createLake: parse.GetValue(upload) is not null, loggers: context.Logging).ConfigureAwait(false);
            if (parse.GetValue(upload) is { } folder)
            {
                await UploadAsync(target.Store, folder, skipped => context.Error.MarkupLine(
                    $"Skipped {Markup.Escape(skipped.Path)}: {Markup.Escape(skipped.Description)}, not a regular file."), cancellationToken).ConfigureAwait(false);
            }
            await using var run = await LocalRun.BeginAsync(context, target, parse.GetValue(wait), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(orchestrator) == LocalStateMachineRun.LocalSfn)
            {
                await RemoveStalePartialFilesAsync(context, target, started, cancellationToken).ConfigureAwait(false);
                return await LocalStateMachineRun.RunAsync(context, target, run, parse.GetValue(lake), parse.GetValue(bucket), parse.GetValue(format)!, cancellationToken).ConfigureAwait(false);
            }
            var kpiEngine = context.CreateEngine(parse.GetValue(engine)!, parse.GetValue(sparkRemote), target.Store);
            await RemoveStalePartialFilesAsync(context, target, started, cancellationToken).ConfigureAwait(false);
            await RequireProductsAsync(target, cancellationToken).ConfigureAwait(false);
            var output = parse.GetValue(format);
            var stopwatch = Stopwatch.StartNew();
            var results = await WithProgressAsync(context, output == "table",
                (progress, starting) => run.RunInProcessAsync(kpiEngine, progress, starting, cancellationToken)).ConfigureAwait(false);
            await WriteResultsAsync(context, target, results, output!, stopwatch, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(stats))
            {
                var phases = results.Select(r => r.Transformation?.Phases).OfType<KpiJobPhases>().ToList();
                var figures = new RunStats(results.Count, results.Sum(r => r.ValidationElapsed.TotalSeconds), results.Sum(r => r.TransformationElapsed.TotalSeconds),
                    Environment.WorkingSet > 0 ? Process.GetCurrentProcess().PeakWorkingSet64 : 0)
                {
                    ReadOrdersSeconds = phases.Sum(p => p.ReadOrders) / 1000.0,
                    JoinAndWriteSeconds = phases.Sum(p => p.JoinAndWrite) / 1000.0,
                    KpisSeconds = phases.Sum(p => p.Kpis) / 1000.0,
                    StoreSeconds = phases.Sum(p => p.Store) / 1000.0,
                    ArchiveSeconds = phases.Sum(p => p.Archive) / 1000.0,
                };
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(figures, CliJsonContext.Default.RunStats));
            }
            return ExitCodeOf(results);
        }));
        return command;
    }

    /// <summary>What <c>run</c> (and <c>rerun</c>) show: each batch's validation summary and the KPIs of the dates it touched.</summary>
    internal static async Task WriteResultsAsync(CommandContext context, LakeTarget target, IReadOnlyList<BatchRunResult> results, string output, Stopwatch stopwatch,
        CancellationToken cancellationToken)
    {
        var touched = results.Where(r => r.Transformation is not null).SelectMany(r => r.Transformation!.Dates).Distinct().Order().ToList();
        var snapshot = touched.Count == 0
            ? Kpis.KpiSnapshot.Empty
            : await target.Kpis.ReadAsync(touched[0], touched[^1], cancellationToken).ConfigureAwait(false);
        if (output == "json")
        {
            KpiTables.WriteJson(Console.OpenStandardOutput(), snapshot);
        }
        else if (output == "table")
        {
            foreach (var result in results)
            {
                // The validator's own summary: per file, accepted and rejected rows by rule, first examples.
                context.Out.WriteLine(result.Validation.Summary.TrimEnd());
                context.Out.WriteLine();
            }
            if (results.Count == 0)
                context.Out.MarkupLine($"Nothing new under {Markup.Escape(target.Store.Describe("raw/"))}: every batch there has been processed.");
            else if (snapshot.Daily.Count == 0)
                context.Out.MarkupLine("[yellow]No KPIs computed: no batch was accepted.[/] The reasons are above and under invalid/.");
            else
                KpiTables.Write(context.Out, snapshot);
            context.Out.MarkupLine($"[grey]{results.Count} batch(es) in {stopwatch.Elapsed.TotalSeconds:0.00} s; KPIs in {Markup.Escape(target.Kpis.Location)}[/]");
        }
    }

    internal static int ExitCodeOf(IReadOnlyList<BatchRunResult> results) => results.Any(r => !r.Validation.BatchAccepted) ? ExitCodes.Rejected : ExitCodes.Success;

    /// <summary>Products master data must be there before any batch can run.</summary>
    internal static async Task RequireProductsAsync(LakeTarget target, CancellationToken cancellationToken)
    {
        if (!await target.Store.ExistsAsync(LakeLayout.ProductsKey, cancellationToken).ConfigureAwait(false))
            throw new InvalidDataException($"{target.Store.Describe(LakeLayout.ProductsKey)} is missing: products master data is needed before any batch can run.");
    }

    /// <summary>Removes what writes killed before this run left in a local lake (S3 keeps no half-written objects).</summary>
    private static async Task RemoveStalePartialFilesAsync(CommandContext context, LakeTarget target, DateTimeOffset started, CancellationToken cancellationToken)
    {
        if (target.Store is not LocalObjectStore local)
            return;
        var removed = await local.RemoveStalePartialFilesAsync(started, cancellationToken).ConfigureAwait(false);
        if (removed.Count > 0)
            context.Error.MarkupLine($"Removed {removed.Count} stale *.partial file(s) left by an interrupted write.");
    }

    /// <summary>Copies a folder's regular files into raw/, keeping their sub-paths; links and FIFOs are reported and skipped.</summary>
    private static async Task UploadAsync(IObjectStore store, string folder, Action<SkippedEntry> skipped, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(folder))
            throw new UsageException($"upload folder '{folder}' does not exist");
        foreach (var path in LocalFiles.EnumerateRegularFiles(Path.GetFullPath(folder), skipped).Order(StringComparer.Ordinal))
        {
            var key = "raw/" + Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/');
            await using var source = File.OpenRead(path);
            await using var writer = await store.CreateAsync(key, cancellationToken).ConfigureAwait(false);
            await source.CopyToAsync(writer.Stream, cancellationToken).ConfigureAwait(false);
            await writer.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal static async Task<T> WithProgressAsync<T>(CommandContext context, bool interactive,
        Func<IProgress<JobProgress>?, Action<PendingBatch>?, Task<T>> work)
    {
        if (!interactive || !context.Out.Profile.Capabilities.Interactive)
            return await work(null, null).ConfigureAwait(false);
        T result = default!;
        await context.Out.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progressContext =>
            {
                ProgressTask? task = null;
                var batchName = "";
                void Finish()
                {
                    if (task is null)
                        return;
                    task.Description = $"{batchName}: done";
                    task.Value = task.MaxValue;
                    task.StopTask();
                }
                var reporter = new Progress<JobProgress>(p =>
                {
                    if (task is null)
                        return;
                    task.IsIndeterminate = false;
                    task.Description = $"{batchName}: {Markup.Escape(p.Step)}";
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                });
                result = await work(reporter, batch =>
                {
                    Finish();
                    batchName = $"Batch {LakeLayout.FormatDate(batch.BatchDate)} v{batch.NextVersion}";
                    task = progressContext.AddTask($"{batchName}: validating {batch.NewFiles} new file(s)");
                    task.IsIndeterminate = true;
                }).ConfigureAwait(false);
                Finish();
            }).ConfigureAwait(false);
        return result;
    }
}
