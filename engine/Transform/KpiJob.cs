using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using KpiPipeline.Contracts;
using KpiPipeline.Curated;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;
using KpiPipeline.Stores;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Transform;

/// <summary>Progress of a long step, for a progress bar.</summary>
public sealed record JobProgress(string Step, long Done, long Total);

/// <summary>What a KPI job run did; printed as JSON by the container and stored under <c>logs/transformation/</c>.</summary>
public sealed record KpiJobResult(
    [property: JsonPropertyName("batch_id")] string BatchId,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("engine")] string Engine,
    [property: JsonPropertyName("dates")] IReadOnlyList<DateOnly> Dates,
    [property: JsonPropertyName("order_lines")] long OrderLines,
    [property: JsonPropertyName("files_joined")] int FilesJoined,
    [property: JsonPropertyName("files_archived")] int FilesArchived,
    [property: JsonPropertyName("daily_rows")] int DailyRows,
    [property: JsonPropertyName("category_rows")] int CategoryRows,
    [property: JsonPropertyName("report_key")] string ReportKey,
    [property: JsonPropertyName("elapsed_ms")] long ElapsedMilliseconds)
{
    /// <summary>Where the time went, for the benchmark and for anyone reading a slow run's report.</summary>
    [JsonPropertyName("phases_ms")]
    public KpiJobPhases? Phases { get; init; }
}

/// <summary>Milliseconds per phase of a KPI job run.</summary>
public sealed record KpiJobPhases(
    [property: JsonPropertyName("read_orders")] long ReadOrders,
    [property: JsonPropertyName("join_and_write")] long JoinAndWrite,
    [property: JsonPropertyName("kpis")] long Kpis,
    [property: JsonPropertyName("store")] long Store,
    [property: JsonPropertyName("archive")] long Archive);

/// <summary>What a KPI job reads before its join (<see cref="KpiJob.PrepareAsync"/>): to be handed to the run of the same manifest.</summary>
public sealed class KpiJobInputs
{
    internal KpiJobInputs(string manifestKey, BatchManifest manifest, ProductCategories products, OrderTable orders, List<string> itemKeys)
    {
        ManifestKey = manifestKey;
        Manifest = manifest;
        Products = products;
        Orders = orders;
        ItemKeys = itemKeys;
    }

    public string ManifestKey { get; }

    internal BatchManifest Manifest { get; }

    internal ProductCategories Products { get; }

    internal OrderTable Orders { get; }

    internal List<string> ItemKeys { get; }
}

/// <summary>
/// Step boundaries of a KPI job run: called after the curated lines are written, and after the KPIs are stored.
/// <see cref="Joined"/> is called when the lines are joined and written to temporary objects, before they become
/// the batch's curated objects: the job waits there for what it returns (a local run, for the batch before).
/// </summary>
public sealed record KpiJobSteps(
    Func<CancellationToken, Task>? Transformed = null, Func<CancellationToken, Task>? Stored = null, Func<CancellationToken, Task>? Joined = null);

/// <summary>
/// The KPI job for one batch manifest: joins the batch's validated order items to its orders and to products,
/// writes the joined lines to <c>curated/</c> (one object per date and batch, overwritten on a re-run),
/// recomputes every date the batch touched from all curated lines of that date, stores the KPIs and archives
/// the batch's files to <c>processed/</c>. Every step can run again with the same outcome.
/// </summary>
public sealed partial class KpiJob(IObjectStore store, IKpiStore kpiStore, IKpiEngine engine, TimeProvider clock, ILogger<KpiJob> logger)
{
    private static readonly KpiJobJsonContext ReportJson = new(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>
    /// Reads what the join needs besides the order items: the manifest, the products' categories, the batch's orders
    /// and which of its order-item files are usable. Only reads, so a local run does it for the next batch while
    /// this one's job still runs (<see cref="RunAsync"/>'s <c>prepared</c>).
    /// </summary>
    public async Task<KpiJobInputs> PrepareAsync(string manifestKey, CancellationToken cancellationToken)
    {
        var manifest = await BatchManifest.ReadAsync(store, manifestKey, cancellationToken).ConfigureAwait(false);
        var productsKey = LakeFileKey(manifest.ProductsKey, Stage.Validated);
        if (!await store.ExistsAsync(productsKey, cancellationToken).ConfigureAwait(false))
            throw new InvalidDataException($"{store.Describe(productsKey)} does not exist: validate the batch before transforming it.");
        var categories = await ReferenceData.LoadCategoriesAsync(store, productsKey, cancellationToken).ConfigureAwait(false);

        var orders = new OrderTable();
        foreach (var rawKey in manifest.OrdersKeys)
        {
            var key = await LocateUsableAsync(rawKey, cancellationToken).ConfigureAwait(false);
            if (key is not null)
                await ReferenceData.LoadOrdersAsync(store, key, orders, cancellationToken).ConfigureAwait(false);
        }

        var itemKeys = new List<string>();
        foreach (var rawKey in manifest.OrderItemsKeys)
        {
            if (await LocateUsableAsync(rawKey, cancellationToken).ConfigureAwait(false) is { } key)
                itemKeys.Add(key);
        }
        return new KpiJobInputs(manifestKey, manifest, new ProductCategories(categories), orders, itemKeys);
    }

    /// <param name="steps">Told as the job passes its step boundaries (the local run records them as the batch's step).</param>
    /// <param name="prepared">This manifest's inputs, read ahead by <see cref="PrepareAsync"/>; null: read them now.</param>
    public async Task<KpiJobResult> RunAsync(string manifestKey, IProgress<JobProgress>? progress, CancellationToken cancellationToken,
        KpiJobSteps? steps = null, Task<KpiJobInputs>? prepared = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var inputs = await (prepared ?? PrepareAsync(manifestKey, cancellationToken)).ConfigureAwait(false);
        if (inputs.ManifestKey != manifestKey)
            throw new ArgumentException($"The inputs given were read for {inputs.ManifestKey}, not {manifestKey}.", nameof(prepared));
        var (manifest, products, orders, itemKeys) = (inputs.Manifest, inputs.Products, inputs.Orders, inputs.ItemKeys);
        LogStarting(manifest.BatchId, manifest.Version, engine.Name);

        var readOrders = stopwatch.ElapsedMilliseconds;
        var sink = engine.CreateSink(manifest.BatchId);
        var (written, waited) = await WriteCuratedLinesAsync(manifest, itemKeys, products, orders, sink, progress, steps?.Joined, cancellationToken).ConfigureAwait(false);
        var touched = await RemoveStaleDatesAsync(manifest.BatchDate, written, cancellationToken).ConfigureAwait(false);
        if (steps?.Transformed is { } transformed)
            await transformed(cancellationToken).ConfigureAwait(false);

        var joined = stopwatch.ElapsedMilliseconds;
        progress?.Report(new JobProgress("Computing KPIs", 0, touched.Count));
        var snapshot = touched.Count == 0 ? KpiSnapshot.Empty : await engine.ComputeAsync(touched, sink, cancellationToken).ConfigureAwait(false);
        var computed = stopwatch.ElapsedMilliseconds;
        progress?.Report(new JobProgress("Storing KPIs", touched.Count, touched.Count));
        await kpiStore.WriteAsync(snapshot, new KpiLineage(manifest.BatchId, clock.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        LogStored(snapshot.Daily.Count, snapshot.Category.Count, kpiStore.Location);
        // Only now: until the KPIs are stored, a run stopped in between finds the dates it dropped in the old index.
        await store.PutAsync(LakeLayout.CuratedBatchIndexKey(manifest.BatchDate), JsonSerializer.SerializeToUtf8Bytes(written.Keys.Order().ToList(), KpiJobJsonContext.Default.ListDateOnly), cancellationToken).ConfigureAwait(false);
        if (steps?.Stored is { } onStored)
            await onStored(cancellationToken).ConfigureAwait(false);

        var stored = stopwatch.ElapsedMilliseconds;
        progress?.Report(new JobProgress("Archiving", touched.Count, touched.Count));
        var archived = await ArchiveAsync(manifest, cancellationToken).ConfigureAwait(false);
        var elapsed = stopwatch.ElapsedMilliseconds;
        var result = new KpiJobResult(
            manifest.BatchId, manifest.Version, engine.Name, touched, written.Values.Sum(), itemKeys.Count, archived,
            snapshot.Daily.Count, snapshot.Category.Count, LakeLayout.TransformationReportKey(manifest.BatchDate, manifest.Version),
            elapsed)
        {
            // The join's phase does not count the wait for the batch before (see KpiJobSteps.Joined).
            Phases = new KpiJobPhases(readOrders, joined - readOrders - (long)waited.TotalMilliseconds, computed - joined, stored - computed, elapsed - stored),
        };
        await store.PutAsync(result.ReportKey, JsonSerializer.SerializeToUtf8Bytes(result, ReportJson.KpiJobResult), cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>The validated (this run) or processed (an earlier run) copy of a raw key; null when it was quarantined.</summary>
    private async Task<string?> LocateUsableAsync(string rawKey, CancellationToken cancellationToken)
    {
        var key = await FileLocator.LocateAsync(store, rawKey, cancellationToken, Stage.Validated, Stage.Processed).ConfigureAwait(false);
        if (key is null)
            LogSkippedFile(rawKey);
        return key;
    }

    /// <summary>
    /// Joins the batch's order items and hands the lines to a <see cref="CuratedBatchOutput"/> running on another
    /// task: parsing and joining on one core, writing curated objects and aggregating on the other.
    /// </summary>
    private async Task<(Dictionary<DateOnly, long> Written, TimeSpan Waited)> WriteCuratedLinesAsync(BatchManifest manifest, List<string> itemKeys,
        ProductCategories products, OrderTable orders, ILineSink? sink, IProgress<JobProgress>? progress,
        Func<CancellationToken, Task>? joined, CancellationToken cancellationToken)
    {
        var waited = TimeSpan.Zero;
        const int BlocksInFlight = 8;
        var channel = Channel.CreateBounded<OrderLineBlock>(new BoundedChannelOptions(BlocksInFlight) { SingleReader = true, SingleWriter = true });
        // Blocks go round through the pool: the join fills one, the writer drains it and hands it back, so lines cost
        // no allocation, in this batch or the next.
        await using var output = new CuratedBatchOutput(store, manifest.BatchDate, sink);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consumer = Task.Run(async () =>
        {
            try
            {
                await output.ConsumeAsync(channel.Reader, OrderLineBlockPool.Return, stop.Token).ConfigureAwait(false);
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false); // unblock the producer
                throw;
            }
        }, CancellationToken.None);

        Exception? joinError = null;
        try
        {
            await JoinAsync(manifest, itemKeys, products, orders, channel.Writer, progress, stop.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            joinError = e;
        }
        channel.Writer.TryComplete(joinError);
        try
        {
            await consumer.ConfigureAwait(false);
        }
        catch when (joinError is not null and not OperationCanceledException)
        {
            // The writer stopped because the join failed: the join's error is the one to report.
        }
        if (joinError is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(joinError);
        if (joined is not null)
        {
            // Finished, then held: what the hook waits for sees none of them until they are committed.
            await output.CompleteAsync(cancellationToken).ConfigureAwait(false);
            var waiting = Stopwatch.GetTimestamp();
            await joined(cancellationToken).ConfigureAwait(false);
            waited = Stopwatch.GetElapsedTime(waiting);
        }
        return (await output.CommitAsync(cancellationToken).ConfigureAwait(false), waited);
    }

    private async Task JoinAsync(BatchManifest manifest, List<string> itemKeys, ProductCategories products,
        OrderTable orders, ChannelWriter<OrderLineBlock> lines,
        IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        const int BlockLines = 8192;
        // Sizes only matter to a progress bar; the container runs without one and skips the listing.
        var totalBytes = 0L;
        foreach (var key in progress is null ? [] : itemKeys)
        {
            await foreach (var info in store.ListAsync(key, cancellationToken).ConfigureAwait(false))
                totalBytes += info.Key == key ? info.Size : 0;
        }
        var doneBytes = 0L;
        var schema = Schemas.OrderItems;
        int orderId = schema.IndexOf("order_id"), productId = schema.IndexOf("product_id"), salePrice = schema.IndexOf("sale_price"),
            itemId = schema.IndexOf("id"), quantity = schema.IndexOf("quantity"), status = schema.IndexOf("status"),
            returnedAt = schema.IndexOf("returned_at");
        var rowKey = new StringBuilder();
        var batchId = Encoding.UTF8.GetBytes(manifest.BatchId);
        var lineKey = new byte[64];
        var block = OrderLineBlockPool.Rent(BlockLines);
        var keys = block.UseJoinKeys(products.Names);
        foreach (var key in itemKeys)
        {
            using var file = await DatasetFile.OpenAsync(store, key, schema, cancellationToken).ConfigureAwait(false);
            if (file is null)
                continue;
            var lastReported = 0L;
            while (await file.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var orderField = file.Field(orderId);
                var productField = file.Field(productId);
                var order = orders.Find(orderField, out var orderNumber);
                if (order < 0)
                    throw file.Broken(orderId, $"order '{file.Text(orderId)}' is in no orders file of the batch");
                if (!products.TryFind(productField, out var category))
                    throw file.Broken(productId, $"product '{file.Text(productId)}' is not in products");
                if (!CuratedValues.TryParsePlainMillionths(file.Field(salePrice), out var millionths))
                {
                    var price = file.Decimal(salePrice);
                    if (!CuratedValues.TryToMillionths(price, out millionths))
                        throw file.Broken(salePrice, $"sale price {price} does not fit the curated DECIMAL(18,6) (more than 6 decimal places, or 10^12 or more)");
                }
                var createdAt = orders.CreatedAt(order);
                var i = block.Next();
                block.Dates[i] = CuratedValues.EpochDayOf(createdAt);
                block.BatchId.Add(batchId);
                var id = file.Field(itemId);
                if (!id.IsEmpty)
                {
                    if (lineKey.Length < id.Length + 2)
                        lineKey = new byte[(id.Length + 2) * 2];
                    "i:"u8.CopyTo(lineKey);
                    id.CopyTo(lineKey.AsSpan(2));
                    block.LineKey.Add(lineKey.AsSpan(0, id.Length + 2));
                    block.ItemId.Add(id);
                }
                else
                {
                    block.LineKey.Add(Encoding.UTF8.GetBytes(LineKey(file, itemId, rowKey)));
                    block.ItemId.AddNull();
                }
                block.OrderId.Add(orderField);
                orders.CopyUserId(order, block.UserId);
                block.ProductId.Add(productField);
                block.Category.Add(products.Names[category]);
                keys.OrderNumber[i] = orderNumber;
                keys.UserNumber[i] = orders.UserNumber(order);
                keys.Category[i] = category;
                block.SalePrice[i] = millionths;
                block.Quantity[i] = file.Quantity(quantity);
                block.Returned[i] = orders.Returned(order) || Values.IsReturnedStatus(file.Field(status)) || !file.Field(returnedAt).IsEmpty;
                block.CreatedAt[i] = createdAt;
                if (block.IsFull)
                {
                    await lines.WriteAsync(block, cancellationToken).ConfigureAwait(false);
                    block = OrderLineBlockPool.Rent(BlockLines);
                    keys = block.UseJoinKeys(products.Names);
                }
                if (file.BytesRead - lastReported > 1 << 20)
                {
                    lastReported = file.BytesRead;
                    progress?.Report(new JobProgress("Joining order items", doneBytes + lastReported, totalBytes));
                }
            }
            doneBytes += file.BytesRead;
        }
        if (block.Count > 0)
            await lines.WriteAsync(block, cancellationToken).ConfigureAwait(false);
        progress?.Report(new JobProgress("Joining order items", totalBytes, totalBytes));
    }

    /// <summary>
    /// Identity of a line: its order item id, or the whole source row where the file has no ids. Values are
    /// canonical (trimmed, numbers parsed) so the same row written differently is still the same row.
    /// </summary>
    private static string LineKey(DatasetFile file, int itemId, StringBuilder row)
    {
        var id = file.Field(itemId);
        if (!id.IsEmpty)
            return "i:" + Encoding.UTF8.GetString(id);
        row.Clear().Append("r:");
        var columns = file.Binding.Schema.Columns;
        for (var i = 0; i < columns.Count; i++)
        {
            if (i > 0)
                row.Append('|');
            if (columns[i].Kind == ColumnKind.Decimal)
                row.Append(file.Decimal(i).ToString("G29", System.Globalization.CultureInfo.InvariantCulture));
            else if (columns[i].Kind == ColumnKind.Quantity)
                row.Append(file.Quantity(i));
            else
                row.Append(Encoding.UTF8.GetString(file.Field(i)));
        }
        return row.ToString();
    }

    /// <summary>
    /// Removes this batch's curated objects for dates it no longer has lines for; returns every date to recompute
    /// (those it has now and those it had). The index of dates is replaced once their KPIs are stored.
    /// </summary>
    private async Task<IReadOnlyList<DateOnly>> RemoveStaleDatesAsync(DateOnly batchDate, Dictionary<DateOnly, long> written, CancellationToken cancellationToken)
    {
        var previous = await ReadBatchIndexAsync(batchDate, cancellationToken).ConfigureAwait(false);
        foreach (var stale in previous.Except(written.Keys))
        {
            await store.DeleteAsync(LakeLayout.CuratedKey(stale, batchDate), cancellationToken).ConfigureAwait(false);
            await store.DeleteAsync(LakeLayout.LegacyCuratedKey(stale, batchDate), cancellationToken).ConfigureAwait(false);
        }
        return written.Keys.Union(previous).Order().ToList();
    }

    private async Task<List<DateOnly>> ReadBatchIndexAsync(DateOnly batchDate, CancellationToken cancellationToken)
    {
        var indexKey = LakeLayout.CuratedBatchIndexKey(batchDate);
        if (!await store.ExistsAsync(indexKey, cancellationToken).ConfigureAwait(false))
            return [];
        await using var stream = await store.OpenReadAsync(indexKey, cancellationToken).ConfigureAwait(false);
        return await JsonSerializer.DeserializeAsync(stream, KpiJobJsonContext.Default.ListDateOnly, cancellationToken).ConfigureAwait(false) ?? [];
    }

    /// <summary>
    /// The last step alone, for a run that stopped after its KPIs were stored: archives the batch's files and
    /// writes the report (its dates from the batch's index; nothing was joined or computed by this call).
    /// </summary>
    public async Task<KpiJobResult> ArchiveOnlyAsync(string manifestKey, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var manifest = await BatchManifest.ReadAsync(store, manifestKey, cancellationToken).ConfigureAwait(false);
        var dates = await ReadBatchIndexAsync(manifest.BatchDate, cancellationToken).ConfigureAwait(false);
        var archived = await ArchiveAsync(manifest, cancellationToken).ConfigureAwait(false);
        var result = new KpiJobResult(manifest.BatchId, manifest.Version, engine.Name, dates.Order().ToList(), 0, 0, archived, 0, 0,
            LakeLayout.TransformationReportKey(manifest.BatchDate, manifest.Version), stopwatch.ElapsedMilliseconds);
        await store.PutAsync(result.ReportKey, JsonSerializer.SerializeToUtf8Bytes(result, ReportJson.KpiJobResult), cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task<int> ArchiveAsync(BatchManifest manifest, CancellationToken cancellationToken)
    {
        var archived = 0;
        foreach (var rawKey in manifest.OrdersKeys.Concat(manifest.OrderItemsKeys))
        {
            var validated = LakeFileKey(rawKey, Stage.Validated);
            if (!await store.ExistsAsync(validated, cancellationToken).ConfigureAwait(false))
                continue;
            if (await store.MoveAsync(validated, LakeFileKey(rawKey, Stage.Processed), cancellationToken).ConfigureAwait(false))
                archived++;
        }
        LogArchived(archived, manifest.BatchId);
        return archived;
    }

    private static string LakeFileKey(string rawKey, Stage stage) =>
        LakeLayout.TryParse(rawKey, out var file)
            ? file.KeyIn(stage)
            : throw new InvalidDataException($"The manifest lists '{rawKey}', which is not a data file key of the lake layout.");

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "KPI job for batch {BatchId} v{Version} on the {Engine} engine")]
    private partial void LogStarting(string batchId, int version, string engine);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "{RawKey} is neither validated nor processed (quarantined?); it is not joined")]
    private partial void LogSkippedFile(string rawKey);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Stored {DailyRows} daily and {CategoryRows} category KPI rows in {Store}")]
    private partial void LogStored(int dailyRows, int categoryRows, string store);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Archived {Count} file(s) of batch {BatchId} to processed/")]
    private partial void LogArchived(int count, string batchId);
}

/// <summary>Source-generated serialisation of the job's report and the curated batch index (no reflection at run time, Native AOT).</summary>
[JsonSerializable(typeof(KpiJobResult))]
[JsonSerializable(typeof(List<DateOnly>))]
public sealed partial class KpiJobJsonContext : JsonSerializerContext;
