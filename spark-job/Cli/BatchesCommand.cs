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
                await JsonSerializer.SerializeAsync(stdout, rows, CliJsonContext.Default.ListBatchRow, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The batches for people: a line of columns per batch, with its reason and any new work on indented lines under
    /// it. An 80-column terminal fits a lake's usual batches (archived, failed, running, waiting for files).
    /// </summary>
    internal static void Write(IAnsiConsole console, IReadOnlyList<BatchRow> rows)
    {
        // Laid out here rather than as a Spectre table: a table cannot give a reason the whole width under its batch,
        // and a reason column leaves the other columns too little room, which Spectre then fills by cutting batch ids,
        // statuses and times mid-word. Status and step share a column because a batch rarely has both a long status
        // (WAITING_FOR_FILES) and a step. A time shows its date only when the date changes along the row, and
        // Claimed and Step at put such a date above the time, so the row stays within 80 columns.
        string[][] headers = [["Batch"], ["Status / step"], ["Files"], ["Last arrival"], ["Claimed"], ["Step at"]];
        var table = rows.Select(Cells).ToList();
        var widths = Enumerable.Range(0, headers.Length).Select(column => table.Prepend(headers).SelectMany(cells => cells[column]).Max(line => line.Length)).ToList();
        foreach (var line in Lines(headers, widths))
            console.Write(new Text(line + Environment.NewLine, new Style(decoration: Decoration.Bold)));
        foreach (var (row, cells) in rows.Zip(table))
        {
            foreach (var line in Lines(cells, widths))
                console.WriteLine(line);
            foreach (var note in Notes(row))
                console.Write(new Padder(new Text(note), new Padding(2, 0, 0, 0)));
        }
        console.MarkupLine("[grey]Times are UTC; a time without a date is on the date to its left or above it.[/]");
    }

    /// <summary>A batch's cells, each as its lines.</summary>
    private static string[][] Cells(BatchRow row) =>
    [
        [row.Version == 0 ? row.BatchId : $"{row.BatchId} v{row.Version.ToString(CultureInfo.InvariantCulture)}"],
        [string.Join(' ', new[] { row.Status, row.Step }.OfType<string>()) is { Length: > 0 } state ? state : "-"],
        [$"{row.OrdersFiles.ToString(CultureInfo.InvariantCulture)} + {row.OrderItemsFiles.ToString(CultureInfo.InvariantCulture)}"],
        [row.LastArrival?.UtcDateTime.ToString("MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-"],
        Time(row.ClaimedAt, row.LastArrival),
        Time(row.StepAt, row.ClaimedAt ?? row.LastArrival),
    ];

    private static IEnumerable<string> Notes(BatchRow row)
    {
        if (!string.IsNullOrEmpty(row.Reason))
            yield return "reason: " + row.Reason;
        if (row.UnclaimedWork)
            yield return "+ new work, not claimed yet";
    }

    /// <summary>A row's lines, its cells padded to their columns; every cell is ASCII (dates, versions, status and step names, counts, times).</summary>
    private static IEnumerable<string> Lines(IReadOnlyList<string[]> cells, IReadOnlyList<int> widths) =>
        Enumerable.Range(0, cells.Max(cell => cell.Length)).Select(line =>
            string.Join("  ", cells.Select((cell, column) => (line < cell.Length ? cell[line] : "").PadRight(widths[column]))).TrimEnd());

    /// <summary>
    /// <c>HH:mm:ssZ</c> on the UTC date of <paramref name="previous"/> (the time to its left), else the date first:
    /// <c>MM-dd</c> and the time, as two lines.
    /// </summary>
    private static string[] Time(DateTimeOffset? time, DateTimeOffset? previous) => time?.UtcDateTime switch
    {
        null => ["-"],
        DateTime utc when previous?.UtcDateTime.Date == utc.Date => [utc.ToString("HH:mm:ss'Z'", CultureInfo.InvariantCulture)],
        DateTime utc => [utc.ToString("MM-dd", CultureInfo.InvariantCulture), utc.ToString("HH:mm:ss'Z'", CultureInfo.InvariantCulture)],
    };
}
