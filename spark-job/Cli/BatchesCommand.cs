using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using KpiPipeline.Batching;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary><c>batches</c>: every tracked batch with its latest version, state, step, reason and timings — where to see stuck batches.</summary>
internal static class BatchesCommand
{
    /// <summary>One batch as <c>batches --format json</c> prints it.</summary>
    internal sealed record BatchRow(
        [property: JsonPropertyName("batch_id")] string BatchId,
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("step")] string? Step,
        [property: JsonPropertyName("finished")] bool Finished,
        [property: JsonPropertyName("reason")] string? Reason,
        [property: JsonPropertyName("orders_files")] int OrdersFiles,
        [property: JsonPropertyName("order_items_files")] int OrderItemsFiles,
        [property: JsonPropertyName("unclaimed_work")] bool UnclaimedWork,
        [property: JsonPropertyName("last_arrival")] DateTimeOffset? LastArrival,
        [property: JsonPropertyName("claimed_at")] DateTimeOffset? ClaimedAt,
        [property: JsonPropertyName("step_at")] DateTimeOffset? StepAt)
    {
        public static BatchRow Of(BatchState state) => new(
            state.BatchId, state.Version, state.Status, state.RunStep?.Name(), state.RunStep?.IsFinal() ?? false,
            state.RunStep is not null ? state.StepReason : state.StatusReason,
            state.OrdersKeys.Count, state.OrderItemsKeys.Count, state.HasUnclaimedWork, state.LastArrival, state.ClaimedAt, state.StepAt);
    }

    public static Command Create()
    {
        var lake = CommonOptions.Lake();
        var bucket = CommonOptions.Bucket();
        var format = CommonOptions.Format("table", "json");
        var verbose = CommonOptions.Verbose();
        var command = new Command("batches", "List every tracked batch: its latest version, status, step (claimed … archived, or failed with the reason) and timings.")
        {
            lake, bucket, format, verbose,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(parse.GetValue(verbose), async context =>
        {
            await using var target = await LakeTarget.OpenAsync(parse.GetValue(lake), parse.GetValue(bucket), context.Clock, cancellationToken, loggers: context.Logging).ConfigureAwait(false);
            var tracker = await target.OpenTrackerAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<BatchRow>();
            await foreach (var state in tracker.ScanAllAsync(cancellationToken).ConfigureAwait(false))
                rows.Add(BatchRow.Of(state));
            rows.Sort((a, b) => string.CompareOrdinal(a.BatchId, b.BatchId));
            if (parse.GetValue(format) == "json")
            {
                await using var stdout = Console.OpenStandardOutput();
                await JsonSerializer.SerializeAsync(stdout, rows, cancellationToken: cancellationToken).ConfigureAwait(false);
                stdout.WriteByte((byte)'\n');
                return ExitCodes.Success;
            }
            if (rows.Count == 0)
            {
                context.Out.MarkupLine($"No batch is tracked in {Markup.Escape(tracker.Location)}.");
                return ExitCodes.Success;
            }
            Write(context.Out, rows);
            context.Out.MarkupLine($"[grey]{rows.Count.ToString(CultureInfo.InvariantCulture)} batch(es) in {Markup.Escape(tracker.Location)}; re-run one with kpi-job rerun --date <date>[/]");
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The batches as a table for people.</summary>
    internal static void Write(IAnsiConsole console, IReadOnlyList<BatchRow> rows)
    {
        var table = new Table().AddColumns("Batch", "Version", "Status", "Step", "Reason", "Files", "Last arrival", "Claimed", "Step at");
        foreach (var row in rows)
        {
            table.AddRow(
                Markup.Escape(row.BatchId),
                row.Version == 0 ? "-" : $"v{row.Version.ToString(CultureInfo.InvariantCulture)}",
                Markup.Escape(row.Status ?? "-"),
                Markup.Escape((row.Step ?? "-") + (row.UnclaimedWork ? " (+ new work)" : "")),
                Markup.Escape(row.Reason ?? ""),
                $"{row.OrdersFiles.ToString(CultureInfo.InvariantCulture)} + {row.OrderItemsFiles.ToString(CultureInfo.InvariantCulture)}",
                Time(row.LastArrival), Time(row.ClaimedAt), Time(row.StepAt));
        }
        console.Write(table);
    }

    private static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";
}
