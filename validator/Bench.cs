using System.Diagnostics;
using System.Globalization;
using System.Text;
using KpiPipeline.Lake;
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
    private const int ItemsPerOrder = 3;
    private static readonly string[] Categories = ["Jeans", "Tops & Tees", "Outerwear & Coats", "Socks, Hosiery", "Accessories", "Swim", "Sleep & Lounge", "Suits"];
    private static readonly string[] Statuses = ["Complete", "Shipped", "Processing", "Cancelled", "Returned"];

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
        var manifest = await GenerateAsync(store, new DateOnly(2024, 1, 15), items, rejectEarly, cancellationToken).ConfigureAwait(false);
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

        public int SampleRows(KpiPipeline.Contracts.Dataset dataset) => inner.SampleRows(dataset);

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

    /// <summary>Deterministic clean data shaped like a shop export: quoted categories, non-ASCII names, some returns.</summary>
    /// <param name="rejectEarly">Make the first row of every orders and order_items part invalid, so every file is rewritten (the slow path).</param>
    private static async Task<BatchManifest> GenerateAsync(IObjectStore store, DateOnly batchDate, int items, bool rejectEarly, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        const int products = 10_000;
        var text = new StringBuilder();
        text.Append("id,sku,name,brand,category,department,cost,retail_price\n");
        for (var p = 1; p <= products; p++)
        {
            var category = Categories[p % Categories.Length];
            text.Append(CultureInfo.InvariantCulture, $"{p},SKU-{p:D6},\"Café Tee, size {p % 7}\",Maison Müller,\"{category}\",Women,{p % 50 + 3}.25,{p % 50 + 9}.99\n");
        }
        await store.PutAsync(LakeLayout.ProductsKey, Encoding.UTF8.GetBytes(text.ToString()), cancellationToken).ConfigureAwait(false);

        var orders = Math.Max(1, items / ItemsPerOrder);
        var date = LakeLayout.FormatDate(batchDate);
        var ordersKeys = new List<string>();
        var itemsKeys = new List<string>();
        for (var part = 0; part < PartFiles; part++)
        {
            var ordersKey = $"{LakeLayout.BatchPrefix(Stage.Raw, KpiPipeline.Contracts.Dataset.Orders, batchDate)}part-{part:D4}.csv";
            var itemsKey = $"{LakeLayout.BatchPrefix(Stage.Raw, KpiPipeline.Contracts.Dataset.OrderItems, batchDate)}part-{part:D4}.csv";
            ordersKeys.Add(ordersKey);
            itemsKeys.Add(itemsKey);
            var firstOrder = (orders * part / PartFiles) + 1;
            var lastOrder = orders * (part + 1) / PartFiles;
            await using (var writer = await store.CreateAsync(ordersKey, cancellationToken).ConfigureAwait(false))
            {
                await using (var output = new StreamWriter(writer.Stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true))
                {
                    await output.WriteAsync("order_id,user_id,created_at,status,returned_at\n").ConfigureAwait(false);
                    if (rejectEarly)
                        await output.WriteAsync("bad-order,u,not a date,Complete,\n").ConfigureAwait(false);
                    for (var o = firstOrder; o <= lastOrder; o++)
                    {
                        var returned = random.Next(100) < 8;
                        var time = $"{date}T{random.Next(24):D2}:{random.Next(60):D2}:{random.Next(60):D2}Z";
                        await output.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                            $"{o},{random.Next(1, 200_000)},{time},{(returned ? "Returned" : Statuses[random.Next(4)])},{(returned ? time : "")}\n")).ConfigureAwait(false);
                    }
                }
                await writer.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            var firstItem = ((long)items * part / PartFiles) + 1;
            var lastItem = (long)items * (part + 1) / PartFiles;
            await using (var writer = await store.CreateAsync(itemsKey, cancellationToken).ConfigureAwait(false))
            {
                await using (var output = new StreamWriter(writer.Stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true))
                {
                    await output.WriteAsync("id,order_id,product_id,sale_price,quantity,status\n").ConfigureAwait(false);
                    if (rejectEarly)
                        await output.WriteAsync("0,1,1,n/a,1,Complete\n").ConfigureAwait(false);
                    for (var i = firstItem; i <= lastItem; i++)
                    {
                        var order = Math.Min(orders, ((i - 1) / ItemsPerOrder) + 1);
                        await output.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                            $"{i},{order},{random.Next(1, products + 1)},{random.Next(1, 300)}.{random.Next(100):D2},{random.Next(1, 4)},{Statuses[random.Next(5)]}\n")).ConfigureAwait(false);
                    }
                }
                await writer.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        var manifest = new BatchManifest(date, 1, LakeLayout.ProductsKey, ordersKeys, itemsKeys, new DateTimeOffset(2024, 1, 16, 0, 5, 0, TimeSpan.Zero));
        await manifest.WriteAsync(store, cancellationToken).ConfigureAwait(false);
        return manifest;
    }
}
