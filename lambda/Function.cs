using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.DynamoDBv2;
using KpiPipeline.Batching;
using KpiPipeline.Lake;
using KpiPipeline.Lambda.Events;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda;

/// <summary>
/// The S3-event aggregator (<see cref="HandleAsync"/>) and the scheduled stale-batch sweeper
/// (<see cref="SweepAsync"/>), served as the functions <c>aggregator</c> and <c>sweeper</c> (<see cref="FunctionCatalog"/>).
/// </summary>
public sealed class Function
{
    private readonly DynamoDbBatchTracker _tracker;
    private readonly BatchCoordinator _coordinator;
    private readonly BatchArrivals _arrivals;
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
        _settings = settings;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<Function>();
        _tracker = new DynamoDbBatchTracker(dynamoDb, settings.TrackerTable);
        _coordinator = new BatchCoordinator(_tracker, storeForBucket, starter, timeProvider, settings.InvocationBudget, _logger);
        _arrivals = new BatchArrivals(_tracker, _coordinator, storeForBucket, timeProvider, _logger);
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

        var arrivals = notification.Created
            .Select(r => new ObjectArrival(r.Index, r.EventName, r.EventTime, r.Bucket, r.Key, r.Size, r.ArrivalId))
            .ToList();
        try
        {
            var result = await _arrivals.RecordAsync(arrivals, cancellationToken).ConfigureAwait(false);
            return new HandleResult(result.Records, result.Batches);
        }
        catch (InvalidExpectedFilesException e)
        {
            // The shop's list is part of the event's input: fail the invocation so retries and the dead-letter queue see it.
            throw new InvalidEventException(e.Message, e);
        }
    }

    private async Task<object> SweepCoreAsync(Stream input, CancellationToken cancellationToken)
    {
        Log.SweepStarted(_logger, _timeProvider.GetUtcNow(), _settings.StaleBatchAfter.TotalMinutes);
        var productsKey = await _tracker.GetProductsKeyAsync(cancellationToken).ConfigureAwait(false);
        var batches = new List<BatchDecision>();
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
                batches.Add(new BatchDecision(state.BatchId, Decisions.Failed, Reason: e.Message));
            }
        }
        Log.SweepFinished(_logger, examined);
        if (failures.Count > 0)
            throw new AggregateException($"The sweep failed for {failures.Count} of {examined} batches: {string.Join("; ", failures.Select(f => f.Message))}", failures);
        return new SweepResult(batches);
    }

    private sealed record HandleResult(
        [property: JsonPropertyName("records")] IReadOnlyList<ArrivalOutcome> Records,
        [property: JsonPropertyName("batches")] IReadOnlyList<BatchDecision> Batches);

    private sealed record SweepResult([property: JsonPropertyName("batches")] IReadOnlyList<BatchDecision> Batches);
}
