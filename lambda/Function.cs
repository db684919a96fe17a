using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.DynamoDBv2;
using KpiPipeline.Lake;
using KpiPipeline.Lambda.Events;
using KpiPipeline.Lambda.Execution;
using KpiPipeline.Lambda.Routing;
using KpiPipeline.Lambda.Tracking;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda;

/// <summary>
/// The S3-event aggregator (<see cref="HandleAsync"/>) and the scheduled stale-batch sweeper
/// (<see cref="SweepAsync"/>), served as the functions <c>aggregator</c> and <c>sweeper</c> (<see cref="FunctionCatalog"/>).
/// </summary>
public sealed class Function
{
    private readonly BatchFileTracker _tracker;
    private readonly BatchCoordinator _coordinator;
    private readonly Func<string, IObjectStore> _storeForBucket;
    private readonly LambdaSettings _settings;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <param name="storeForBucket">The lake of a bucket named in an event (tests pass a local folder).</param>
    public Function(
        IAmazonDynamoDB dynamoDb,
        Func<string, IObjectStore> storeForBucket,
        IExecutionStarter starter,
        LambdaSettings settings,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(dynamoDb);
        ArgumentNullException.ThrowIfNull(storeForBucket);
        ArgumentNullException.ThrowIfNull(starter);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _storeForBucket = storeForBucket;
        _settings = settings;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<Function>();
        _tracker = new BatchFileTracker(dynamoDb, settings.TrackerTable);
        _coordinator = new BatchCoordinator(_tracker, storeForBucket, starter, timeProvider, settings.InvocationBudget, _logger);
    }

    /// <summary>
    /// Records every <c>ObjectCreated:*</c> record of an S3 notification and decides each batch it
    /// touched. Output: <c>{"records": [...], "batches": [...]}</c>.
    /// </summary>
    /// <exception cref="InvalidEventException">The event is malformed; the message says where.</exception>
    public Task<Stream> HandleAsync(Stream input, CancellationToken cancellationToken = default) =>
        RunAsync(FunctionCatalog.Aggregator, input, HandleCoreAsync, cancellationToken);

    /// <summary>
    /// The scheduled sweep (any input, e.g. an EventBridge event): starts batches whose events were lost
    /// or whose claim was never started, and reports (or releases) those quiet past
    /// <c>STALE_BATCH_AFTER_MINUTES</c>. Output: <c>{"batches": [...]}</c>.
    /// </summary>
    public Task<Stream> SweepAsync(Stream input, CancellationToken cancellationToken = default) =>
        RunAsync(FunctionCatalog.Sweeper, input, SweepCoreAsync, cancellationToken);

    private Task<Stream> RunAsync(string function, Stream input, Func<Stream, CancellationToken, Task<object>> body, CancellationToken cancellationToken) =>
        HandlerInvocation.RunAsync(function, input, _logger, body, cancellationToken);

    private async Task<object> HandleCoreAsync(Stream input, CancellationToken cancellationToken)
    {
        var notification = await S3Notification.ParseAsync(input, cancellationToken).ConfigureAwait(false);
        if (notification.IsTestEvent)
        {
            Log.TestEvent(_logger);
            return new HandleResult([], []);
        }
        foreach (var skipped in notification.Skipped)
            Log.RecordSkipped(_logger, skipped.Index, skipped.EventName, skipped.Key);

        var records = new List<RecordOutcome>();
        var touched = new Dictionary<string, BatchState>(StringComparer.Ordinal);
        var productsArrived = false;
        foreach (var record in notification.Created)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Log.RecordReceived(_logger, record.Index, record.EventName, record.Bucket, record.Key, record.Size);
            var now = _timeProvider.GetUtcNow();
            // The upload's own date, not the clock's: a re-delivery after midnight still joins the same batch.
            var uploadDate = DateOnly.FromDateTime((record.EventTime ?? now).UtcDateTime);
            var route = KeyRouter.Route(record.Key, uploadDate);
            switch (route.Kind)
            {
                case RouteKind.Ignored:
                    Log.RecordIgnored(_logger, record.Bucket, record.Key, route.Reason!);
                    records.Add(new RecordOutcome(record.Key, "ignored", Reason: route.Reason));
                    break;
                case RouteKind.Products:
                    await _tracker.RecordProductsAsync(record.Key, record.Bucket, now, cancellationToken).ConfigureAwait(false);
                    Log.ProductsRecorded(_logger, record.Key);
                    productsArrived = true;
                    records.Add(new RecordOutcome(record.Key, "products"));
                    break;
                case RouteKind.DailyFile:
                    {
                        var batchId = route.BatchId!;
                        if (route.Undated)
                            Log.UndatedFile(_logger, record.Key, batchId);
                        var (isNew, state) = await _tracker.RecordFileAsync(batchId, route.Dataset!.Value, record.Key, record.Bucket, now, cancellationToken).ConfigureAwait(false);
                        if (isNew)
                            Log.FileRecorded(_logger, record.Key, batchId, state.Revision);
                        else
                            Log.DuplicateFile(_logger, record.Key, batchId);
                        touched[batchId] = state;
                        records.Add(new RecordOutcome(record.Key, isNew ? "recorded" : "duplicate", batchId));
                        break;
                    }
                case RouteKind.ExpectedFiles:
                    {
                        var state = await _coordinator.RecordExpectedFilesAsync(
                            _storeForBucket(record.Bucket), record.Bucket, record.Key, route.BatchDate!.Value, cancellationToken).ConfigureAwait(false);
                        touched[state.BatchId] = state;
                        records.Add(new RecordOutcome(record.Key, "expected_files", state.BatchId));
                        break;
                    }
                default:
                    throw new InvalidOperationException($"Unhandled route {route.Kind}.");
            }
        }

        var batches = new List<BatchOutcome>();
        if (productsArrived)
        {
            // Products complete every batch that waited only for them. The scan runs after the products
            // write, so a batch whose own invocation read "no products" just before is found here.
            await foreach (var state in _tracker.ScanOpenAsync(cancellationToken).ConfigureAwait(false))
                batches.AddRange(await _coordinator.EvaluateAsync(state, LakeLayout.ProductsKey, null, cancellationToken).ConfigureAwait(false));
            // Touched batches with nothing open are up to date; say so, so every batch gets a line.
            foreach (var state in touched.Values.Where(s => batches.All(b => b.BatchId != s.BatchId)))
                batches.AddRange(await _coordinator.EvaluateAsync(state, LakeLayout.ProductsKey, null, cancellationToken).ConfigureAwait(false));
        }
        else if (touched.Count > 0)
        {
            // Read after this invocation's own writes: with the products write before it, one of the two
            // invocations always sees both.
            var productsKey = await _tracker.GetProductsKeyAsync(cancellationToken).ConfigureAwait(false);
            foreach (var state in touched.Values)
                batches.AddRange(await _coordinator.EvaluateAsync(state, productsKey, null, cancellationToken).ConfigureAwait(false));
        }
        return new HandleResult(records, batches);
    }

    private async Task<object> SweepCoreAsync(Stream input, CancellationToken cancellationToken)
    {
        Log.SweepStarted(_logger, _timeProvider.GetUtcNow(), _settings.StaleBatchAfter.TotalMinutes);
        var productsKey = await _tracker.GetProductsKeyAsync(cancellationToken).ConfigureAwait(false);
        var batches = new List<BatchOutcome>();
        var failures = new List<Exception>();
        var examined = 0;
        await foreach (var state in _tracker.ScanOpenAsync(cancellationToken).ConfigureAwait(false))
        {
            examined++;
            try
            {
                batches.AddRange(await _coordinator.EvaluateAsync(state, productsKey, _settings.StaleBatchAfter, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One batch's problem (say, an unreadable expected-files list) must not keep the sweep from
                // the others; the invocation still fails below, naming every failed batch.
                Log.BatchFailed(_logger, state.BatchId, e);
                failures.Add(new InvalidOperationException($"batch {state.BatchId}: {e.Message}", e));
                batches.Add(new BatchOutcome(state.BatchId, Decisions.Failed, Reason: e.Message));
            }
        }
        Log.SweepFinished(_logger, examined);
        if (failures.Count > 0)
            throw new AggregateException($"The sweep failed for {failures.Count} of {examined} batches: {string.Join("; ", failures.Select(f => f.Message))}", failures);
        return new SweepResult(batches);
    }

    private sealed record RecordOutcome(
        [property: JsonPropertyName("key")] string Key,
        [property: JsonPropertyName("outcome")] string Outcome,
        [property: JsonPropertyName("batch_id")] string? BatchId = null,
        [property: JsonPropertyName("reason")] string? Reason = null);

    private sealed record HandleResult(
        [property: JsonPropertyName("records")] IReadOnlyList<RecordOutcome> Records,
        [property: JsonPropertyName("batches")] IReadOnlyList<BatchOutcome> Batches);

    private sealed record SweepResult([property: JsonPropertyName("batches")] IReadOnlyList<BatchOutcome> Batches);
}
