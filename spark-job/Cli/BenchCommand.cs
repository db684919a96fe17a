using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using KpiPipeline.Lake;
using KpiPipeline.Samples;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>
/// <c>bench</c>: generates a lake of N order items, then times <c>kpi-job run</c> on it in a fresh process
/// (process start included) and prints throughput and peak memory of validation and the KPI job.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var items = new Option<long>("--items") { Description = "Order items to generate.", DefaultValueFactory = _ => 1_000_000 };
        var days = new Option<int>("--days") { Description = "Days (one batch each).", DefaultValueFactory = _ => 1 };
        var parts = new Option<int>("--parts") { Description = "Part files per day and dataset.", DefaultValueFactory = _ => 4 };
        var folder = new Option<string?>("--dir") { Description = "Where to build the lake (default: a temporary folder, deleted afterwards)." };
        var command = new Command("bench", "Benchmark: generate N order items and time validation + KPI job end to end in a new process.")
        {
            items, days, parts, folder,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(verbose: false, async context =>
        {
            var lake = parse.GetValue(folder) ?? Path.Combine(Path.GetTempPath(), $"kpi-bench-{Guid.NewGuid():N}");
            if (Directory.Exists(lake))
                Directory.Delete(lake, recursive: true);
            Directory.CreateDirectory(lake);
            try
            {
                var options = new SampleOptions { Items = parse.GetValue(items), Days = parse.GetValue(days), PartsPerDay = parse.GetValue(parts) };
                context.Error.MarkupLine(CommonOptions.Invariant($"Generating {options.Items:N0} order items over {options.Days} day(s)…"));
                var sample = await SampleGenerator.WriteAsync(new LocalObjectStore(lake), options, null, cancellationToken).ConfigureAwait(false);
                var (elapsed, stats) = await RunChildAsync(lake, cancellationToken).ConfigureAwait(false);
                var megabytes = sample.Bytes / 1e6;
                var table = new Table().RoundedBorder().Title("[bold]kpi-job run (new process)[/]")
                    .AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
                table.AddRow("order items", CommonOptions.Invariant($"{sample.Items:N0}"));
                table.AddRow("input CSV", CommonOptions.Invariant($"{megabytes:0.0} MB"));
                table.AddRow("end to end, process start included", CommonOptions.Invariant($"{elapsed.TotalSeconds:0.00} s ({megabytes / elapsed.TotalSeconds:0} MB/s)"));
                table.AddRow("validation", CommonOptions.Invariant($"{stats.ValidationSeconds:0.00} s ({megabytes / stats.ValidationSeconds:0} MB/s)"));
                table.AddRow("KPI job (join, curated, KPIs, archive)", CommonOptions.Invariant($"{stats.TransformSeconds:0.00} s ({megabytes / stats.TransformSeconds:0} MB/s)"));
                table.AddRow("peak working set", CommonOptions.Invariant($"{stats.PeakWorkingSetBytes / 1e6:0} MB"));
                context.Out.Write(table);
                return ExitCodes.Success;
            }
            finally
            {
                if (parse.GetValue(folder) is null)
                    Directory.Delete(lake, recursive: true);
            }
        }));
        return command;
    }

    private static async Task<(TimeSpan Elapsed, RunStats Stats)> RunChildAsync(string lake, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
        foreach (var argument in new[] { "run", "--lake", lake, "--format", "none", "--stats" })
            start.ArgumentList.Add(argument);
        var stopwatch = Stopwatch.StartNew();
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start kpi-job");
        var stdout = child.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = child.StandardError.ReadToEndAsync(cancellationToken);
        await child.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        stopwatch.Stop();
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"kpi-job run exited with {child.ExitCode}: {(await stderr.ConfigureAwait(false)).Trim()}");
        var stats = JsonSerializer.Deserialize<RunStats>((await stdout.ConfigureAwait(false)).Trim())
            ?? throw new InvalidDataException("kpi-job run printed no statistics");
        return (stopwatch.Elapsed, stats);
    }
}
