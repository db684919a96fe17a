using KpiPipeline.Contracts;
using KpiPipeline.Lake;

namespace KpiPipeline.Pipeline;

/// <summary>A daily batch with new files waiting in <c>raw/</c>.</summary>
public sealed record PendingBatch(DateOnly BatchDate, int NextVersion, IReadOnlyList<string> OrdersKeys, IReadOnlyList<string> OrderItemsKeys, int NewFiles);

/// <summary>
/// Finds the batches to run in a lake, the way the Lambda aggregator does in AWS: a batch is a date folder
/// under <c>raw/orders/</c> or <c>raw/order_items/</c>; its manifest lists every file of the date that has
/// arrived so far (already processed ones included), and it runs when at least one of them is new.
/// Files directly under <c>raw/orders/</c> or <c>raw/order_items/</c> join the batch of the current UTC date.
/// </summary>
public static class BatchDiscovery
{
    public static async Task<IReadOnlyList<PendingBatch>> FindAsync(IObjectStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var files = new Dictionary<DateOnly, (SortedSet<string> Orders, SortedSet<string> Items, int New)>();
        foreach (var stage in new[] { Stage.Raw, Stage.Validated, Stage.Processed })
        {
            foreach (var dataset in new[] { Dataset.Orders, Dataset.OrderItems })
            {
                await foreach (var item in store.ListAsync(LakeLayout.DatasetPrefix(stage, dataset), cancellationToken).ConfigureAwait(false))
                {
                    if (!LakeLayout.TryParse(item.Key, out var file) || !item.Key.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
                        continue;
                    var date = file.BatchDate ?? today;
                    if (!files.TryGetValue(date, out var batch))
                        files[date] = batch = (new SortedSet<string>(StringComparer.Ordinal), new SortedSet<string>(StringComparer.Ordinal), 0);
                    (dataset == Dataset.Orders ? batch.Orders : batch.Items).Add(file.KeyIn(Stage.Raw));
                    if (stage == Stage.Raw)
                        files[date] = batch with { New = batch.New + 1 };
                }
            }
        }
        var pending = new List<PendingBatch>();
        foreach (var (date, batch) in files.OrderBy(f => f.Key))
        {
            if (batch.New == 0)
                continue;
            var version = await NextVersionAsync(store, date, cancellationToken).ConfigureAwait(false);
            pending.Add(new PendingBatch(date, version, [.. batch.Orders], [.. batch.Items], batch.New));
        }
        return pending;
    }

    private static async Task<int> NextVersionAsync(IObjectStore store, DateOnly date, CancellationToken cancellationToken)
    {
        var latest = 0;
        await foreach (var item in store.ListAsync(LakeLayout.ManifestPrefix(date), cancellationToken).ConfigureAwait(false))
        {
            var name = Path.GetFileNameWithoutExtension(item.Key);
            if (name.StartsWith('v') && int.TryParse(name.AsSpan(1), out var version))
                latest = Math.Max(latest, version);
        }
        return latest + 1;
    }
}
