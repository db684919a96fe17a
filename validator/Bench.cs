using System.Diagnostics;
using System.Globalization;
using System.Text;
using KpiPipeline.Lake;
using KpiPipeline.Validation;
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

    public static async Task<int> RunAsync(BenchCommand command, TextWriter stdout, CancellationToken cancellationToken)
    {
        var folder = command.Folder ?? Path.Combine(Path.GetTempPath(), $"validator-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var store = new LocalObjectStore(folder);
            var batchDate = new DateOnly(2024, 1, 15);
            var generate = Stopwatch.StartNew();
            var manifest = await GenerateAsync(store, batchDate, command.Items, cancellationToken).ConfigureAwait(false);
            var bytes = 0L;
            await foreach (var info in store.ListAsync("raw/", cancellationToken).ConfigureAwait(false))
                bytes += info.Size;
            await stdout.WriteLineAsync(FormattableString.Invariant($"generated {command.Items} order items, {bytes / 1e6:F1} MB of CSV in {generate.Elapsed.TotalSeconds:F2} s")).ConfigureAwait(false);

            // Warm up on a small batch first, so the figure is the validator's, not the JIT's.
            var warmUpFolder = Path.Combine(folder, "warm-up");
            var warmUpStore = new LocalObjectStore(warmUpFolder);
            var warmUpManifest = await GenerateAsync(warmUpStore, batchDate, Math.Min(command.Items, 30_000), cancellationToken).ConfigureAwait(false);
            var warmUpClock = new FixedClock(new DateTimeOffset(2024, 1, 16, 0, 5, 0, TimeSpan.Zero));
            var warmUpWatch = Stopwatch.StartNew();
            await new BatchValidator(warmUpStore, new ValidationOptions(), warmUpClock, NullLogger<BatchValidator>.Instance).ValidateAsync(warmUpManifest.Key, cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync(FormattableString.Invariant($"warm-up: {Math.Min(command.Items, 30_000)} items validated in {warmUpWatch.Elapsed.TotalSeconds:F3} s (cold)")).ConfigureAwait(false);
            Directory.Delete(warmUpFolder, recursive: true);

            GC.Collect();
            var clock = new FixedClock(new DateTimeOffset(2024, 1, 16, 0, 5, 0, TimeSpan.Zero));
            var validator = new BatchValidator(store, new ValidationOptions(), clock, NullLogger<BatchValidator>.Instance);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var result = await validator.ValidateAsync(manifest.Key, cancellationToken).ConfigureAwait(false);
            watch.Stop();
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            var accepted = result.Files.Sum(f => f.Accepted);
            await stdout.WriteLineAsync(FormattableString.Invariant(
                $"validated {result.Outcome}: {accepted} rows accepted, {result.Files.Sum(f => f.Rejected)} rejected, in {watch.Elapsed.TotalSeconds:F3} s (CPU {cpuUsed.TotalSeconds:F3} s)")).ConfigureAwait(false);
            await stdout.WriteLineAsync(FormattableString.Invariant(
                $"throughput {bytes / 1e6 / watch.Elapsed.TotalSeconds:F1} MB/s ({bytes / 1048576.0 / watch.Elapsed.TotalSeconds:F1} MiB/s); peak working set {process.PeakWorkingSet64 / 1048576.0:F0} MiB; allocated {allocated / 1048576.0:F0} MiB during validation")).ConfigureAwait(false);
            if (command.Keep)
                await stdout.WriteLineAsync($"lake kept at {folder}").ConfigureAwait(false);
            return result.ExitCode;
        }
        finally
        {
            if (!command.Keep && command.Folder is null)
                Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Deterministic clean data shaped like a shop export: quoted categories, non-ASCII names, some returns.</summary>
    private static async Task<BatchManifest> GenerateAsync(IObjectStore store, DateOnly batchDate, int items, CancellationToken cancellationToken)
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

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
