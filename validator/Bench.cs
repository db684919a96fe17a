using System.Diagnostics;
using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using KpiPipeline.Samples;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Profiling;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiPipeline.Validator;

/// <summary>
/// Throughput benchmark (a command, not a test): generates a clean batch of N order items in a temporary
/// lake, validates it once, and prints MB/s and the process's peak working set.
/// </summary>
internal static class Bench
{
    private const int PartFiles = 4;

    public static async Task<int> RunAsync(BenchCommand command, TextWriter stdout, TimeProvider clock, CancellationToken cancellationToken)
    {
        var folder = command.Folder ?? Path.Combine(Path.GetTempPath(), $"validator-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            // Warm up on a small batch first, so the figures are the validator's, not the JIT's.
            var warmUp = await RunOnceAsync(Path.Combine(folder, "warm-up"), Math.Min(command.Items, 30_000), command.RejectEarly, clock, cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync(FormattableString.Invariant($"warm-up: {warmUp.Items} items validated in {warmUp.Seconds:F3} s (cold JIT)")).ConfigureAwait(false);

            // Each round validates a freshly generated lake (validation moves the files on). The machine may be
            // shared: wall-clock rounds vary, so the median and best are printed, and the CPU time beside them.
            var rounds = new List<Round>();
            for (var round = 1; round <= command.Rounds; round++)
            {
                var result = await RunOnceAsync(Path.Combine(folder, $"round-{round}"), command.Items, command.RejectEarly, clock, cancellationToken).ConfigureAwait(false);
                rounds.Add(result);
                await stdout.WriteLineAsync(FormattableString.Invariant(
                    $"round {round}: {result.Outcome}, {result.Rows} rows ({result.Bytes / 1e6:F1} MB) in {result.Seconds:F3} s = {result.MegabytesPerSecond:F0} MB/s (frame checks {result.FrameCheckSeconds:F3} s, streaming {result.StreamingMegabytesPerSecond:F0} MB/s); CPU {result.CpuSeconds:F3} s = {result.Bytes / 1e6 / result.CpuSeconds:F0} MB per CPU-second; allocated {result.AllocatedBytes / 1048576.0:F0} MiB")).ConfigureAwait(false);
                if (!command.Keep)
                    Directory.Delete(Path.Combine(folder, $"round-{round}"), recursive: true);
            }
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            var ordered = rounds.OrderBy(r => r.Seconds).ToList();
            var median = ordered[ordered.Count / 2];
            await stdout.WriteLineAsync(FormattableString.Invariant(
                $"validation of {command.Items} order items: median {median.MegabytesPerSecond:F0} MB/s, best {ordered[0].MegabytesPerSecond:F0} MB/s; frame checks median {rounds.Select(r => r.FrameCheckSeconds).Order().ElementAt(rounds.Count / 2):F3} s; peak working set {process.PeakWorkingSet64 / 1048576.0:F0} MiB")).ConfigureAwait(false);
            if (command.Keep)
                await stdout.WriteLineAsync($"lakes kept under {folder}").ConfigureAwait(false);
            return rounds.All(r => r.Outcome == BatchOutcome.Valid) ? ExitCodes.Success : ExitCodes.Rejected;
        }
        finally
        {
            if (!command.Keep && command.Folder is null)
                Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<Round> RunOnceAsync(string folder, int items, bool rejectEarly, TimeProvider clock, CancellationToken cancellationToken)
    {
        var store = new LocalObjectStore(folder);
        // Two weeks back from the validator's now: the sample's returns come up to 12 days after their orders,
        // and a timestamp after now is rejected, which would make the figures those of a broken batch.
        var batchDate = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(-14);
        var manifest = await GenerateAsync(store, batchDate, items, rejectEarly, cancellationToken).ConfigureAwait(false);
        var bytes = 0L;
        await foreach (var info in store.ListAsync("raw/", cancellationToken).ConfigureAwait(false))
            bytes += info.Size;
        GC.Collect();
        var inspector = new TimedInspector(new FrameInspector());
        var validator = new BatchValidator(store, new ValidationOptions(), clock, NullLogger<BatchValidator>.Instance, inspector);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var result = await validator.ValidateAsync(manifest.Key, cancellationToken).ConfigureAwait(false);
        watch.Stop();
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        return new Round(items, result.Files.Sum(f => f.RowsRead), bytes, watch.Elapsed.TotalSeconds, cpuUsed.TotalSeconds,
            GC.GetTotalAllocatedBytes(precise: true) - allocated, result.Outcome, inspector.Elapsed.TotalSeconds);
    }

    /// <param name="FrameCheckSeconds">Of <paramref name="Seconds"/>, the time the frame-level checks took (a fixed cost per file: they see bounded samples).</param>
    private sealed record Round(int Items, long Rows, long Bytes, double Seconds, double CpuSeconds, long AllocatedBytes, BatchOutcome Outcome, double FrameCheckSeconds)
    {
        public double MegabytesPerSecond => Bytes / 1e6 / Seconds;

        /// <summary>The streaming pass alone: the whole validation less the frame-level checks.</summary>
        public double StreamingMegabytesPerSecond => Bytes / 1e6 / (Seconds - FrameCheckSeconds);
    }

    /// <summary>Times the frame-level checks, so the bench tells them apart from the streaming pass.</summary>
    private sealed class TimedInspector(IFileInspector inner) : IFileInspector
    {
        public TimeSpan Elapsed { get; private set; }

        public int SampleRows(Dataset dataset) => inner.SampleRows(dataset);

        public FileQuality Inspect(FileSample sample)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return inner.Inspect(sample);
            }
            finally
            {
                Elapsed += Stopwatch.GetElapsedTime(started);
            }
        }
    }

    /// <summary>
    /// One day's batch of the sample shop export kpi-job generates (quoted categories, non-ASCII names, some returns),
    /// in several part files as production exports come, and its manifest.
    /// </summary>
    /// <param name="rejectEarly">Make the first row of every orders and order_items part invalid, so every file is rewritten (the slow path).</param>
    private static async Task<BatchManifest> GenerateAsync(IObjectStore store, DateOnly batchDate, int items, bool rejectEarly, CancellationToken cancellationToken)
    {
        var options = new SampleOptions { Items = items, Days = 1, StartDate = batchDate, PartsPerDay = PartFiles, InvalidFirstRows = rejectEarly };
        await SampleGenerator.WriteAsync(store, options, null, cancellationToken).ConfigureAwait(false);
        var manifest = new BatchManifest(LakeLayout.FormatDate(batchDate), 1, LakeLayout.ProductsKey,
            await PartsAsync(store, Dataset.Orders, batchDate, cancellationToken).ConfigureAwait(false),
            await PartsAsync(store, Dataset.OrderItems, batchDate, cancellationToken).ConfigureAwait(false),
            new DateTimeOffset(batchDate.AddDays(1), new TimeOnly(0, 5), TimeSpan.Zero));
        await manifest.WriteAsync(store, cancellationToken).ConfigureAwait(false);
        return manifest;
    }

    private static async Task<List<string>> PartsAsync(IObjectStore store, Dataset dataset, DateOnly batchDate, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var info in store.ListAsync(LakeLayout.BatchPrefix(Stage.Raw, dataset, batchDate), cancellationToken).ConfigureAwait(false))
            keys.Add(info.Key);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }
}
