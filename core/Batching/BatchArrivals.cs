using System.Text.Json.Serialization;
using KpiPipeline.Lake;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Batching;

/// <summary>One object created in the bucket, as an S3 event reports it (or the local run, which plays S3's part).</summary>
/// <param name="Index">Its position in the delivery, for log lines.</param>
/// <param name="EventTime">When the object was uploaded; null when the event does not say.</param>
/// <param name="ArrivalId">Identifies this upload of the key, so a re-delivered event is told from a re-upload; null: the key alone.</param>
public sealed record ObjectArrival(int Index, string EventName, DateTimeOffset? EventTime, string Bucket, string Key, long? Size, string? ArrivalId = null);

/// <summary>What became of one arrival: the Lambda output's <c>records</c> entries.</summary>
public sealed record ArrivalOutcome(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("batch_id")] string? BatchId = null,
    [property: JsonPropertyName("reason")] string? Reason = null)
{
    public const string Recorded = "recorded";
    public const string Duplicate = "duplicate";
    public const string Products = "products";
    public const string ExpectedFiles = "expected_files";
    public const string Ignored = "ignored";
}

public sealed record ArrivalsResult(IReadOnlyList<ArrivalOutcome> Records, IReadOnlyList<BatchDecision> Batches);

/// <summary>
/// What the S3 event handler does with a delivery, for the Lambda and the local run alike: routes every
/// object by its key, records it in the tracker (a re-delivery changes nothing), then lets the coordinator
/// decide each batch the delivery touched, or every open batch when products master data arrived.
/// </summary>
public sealed class BatchArrivals(IBatchTracker tracker, BatchCoordinator coordinator, Func<string, IObjectStore> storeForBucket, TimeProvider timeProvider, ILogger logger)
{
    /// <exception cref="InvalidExpectedFilesException">An expected-files list of the delivery is malformed.</exception>
    public async Task<ArrivalsResult> RecordAsync(IReadOnlyList<ObjectArrival> arrivals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arrivals);
        var records = new List<ArrivalOutcome>();
        var touched = new Dictionary<string, BatchState>(StringComparer.Ordinal);
        var productsArrived = false;
        // Daily files in a row are recorded together (one transaction in SQLite), in their order among the others.
        var dailyFiles = new List<(ObjectArrival Arrival, DailyFileArrival File)>();
        foreach (var arrival in arrivals)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Log.RecordReceived(logger, arrival.Index, arrival.EventName, arrival.Bucket, arrival.Key, arrival.Size);
            var now = timeProvider.GetUtcNow();
            // The upload's own date, not the clock's: a re-delivery after midnight still joins the same batch.
            var uploadDate = DateOnly.FromDateTime((arrival.EventTime ?? now).UtcDateTime);
            var route = KeyRouter.Route(arrival.Key, uploadDate);
            if (route.Kind == RouteKind.DailyFile)
            {
                if (route.Undated)
                    Log.UndatedFile(logger, arrival.Key, route.BatchId!);
                dailyFiles.Add((arrival, new DailyFileArrival(route.BatchId!, route.Dataset!.Value, arrival.Key, arrival.ArrivalId ?? arrival.Key)));
                continue;
            }
            await RecordDailyFilesAsync(dailyFiles, records, touched, cancellationToken).ConfigureAwait(false);
            switch (route.Kind)
            {
                case RouteKind.Ignored:
                    Log.RecordIgnored(logger, arrival.Bucket, arrival.Key, route.Reason!);
                    records.Add(new ArrivalOutcome(arrival.Key, ArrivalOutcome.Ignored, Reason: route.Reason));
                    break;
                case RouteKind.Products:
                    await tracker.RecordProductsAsync(arrival.Key, arrival.Bucket, now, cancellationToken).ConfigureAwait(false);
                    Log.ProductsRecorded(logger, arrival.Key);
                    productsArrived = true;
                    records.Add(new ArrivalOutcome(arrival.Key, ArrivalOutcome.Products));
                    break;
                case RouteKind.ExpectedFiles:
                    {
                        var state = await coordinator.RecordExpectedFilesAsync(
                            storeForBucket(arrival.Bucket), arrival.Bucket, arrival.Key, route.BatchDate!.Value, cancellationToken).ConfigureAwait(false);
                        touched[state.BatchId] = state;
                        records.Add(new ArrivalOutcome(arrival.Key, ArrivalOutcome.ExpectedFiles, state.BatchId));
                        break;
                    }
                default:
                    throw new InvalidOperationException($"Unhandled route {route.Kind}.");
            }
        }
        await RecordDailyFilesAsync(dailyFiles, records, touched, cancellationToken).ConfigureAwait(false);

        var batches = new List<BatchDecision>();
        if (productsArrived)
        {
            // Products complete every batch that waited only for them. The scan runs after the products
            // write, so a batch whose own invocation read "no products" just before is found here.
            await foreach (var state in tracker.ScanOpenAsync(cancellationToken).ConfigureAwait(false))
                batches.AddRange(await coordinator.EvaluateAsync(state, LakeLayout.ProductsKey, null, cancellationToken).ConfigureAwait(false));
            // Touched batches with nothing open are up to date; say so, so every batch gets a line.
            foreach (var state in touched.Values.Where(s => batches.All(b => b.BatchId != s.BatchId)))
                batches.AddRange(await coordinator.EvaluateAsync(state, LakeLayout.ProductsKey, null, cancellationToken).ConfigureAwait(false));
        }
        else if (touched.Count > 0)
        {
            // Read after this delivery's own writes: with the products write before it, one of two concurrent
            // deliveries always sees both.
            var productsKey = await tracker.GetProductsKeyAsync(cancellationToken).ConfigureAwait(false);
            foreach (var state in touched.Values)
                batches.AddRange(await coordinator.EvaluateAsync(state, productsKey, null, cancellationToken).ConfigureAwait(false));
        }
        return new ArrivalsResult(records, batches);
    }

    /// <summary>Records the daily files collected so far, all of one bucket at a time, and empties the list.</summary>
    private async Task RecordDailyFilesAsync(List<(ObjectArrival Arrival, DailyFileArrival File)> dailyFiles, List<ArrivalOutcome> records, Dictionary<string, BatchState> touched, CancellationToken cancellationToken)
    {
        var start = 0;
        while (start < dailyFiles.Count)
        {
            var bucket = dailyFiles[start].Arrival.Bucket;
            var end = start;
            while (end < dailyFiles.Count && dailyFiles[end].Arrival.Bucket == bucket)
                end++;
            var files = dailyFiles[start..end].Select(d => d.File).ToList();
            var recorded = await tracker.RecordFilesAsync(files, bucket, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < files.Count; i++)
            {
                var (file, (isNew, state)) = (files[i], recorded[i]);
                if (isNew)
                    Log.FileRecorded(logger, file.Key, file.BatchId, state.Revision);
                else
                    Log.DuplicateFile(logger, file.Key, file.BatchId);
                touched[file.BatchId] = state;
                records.Add(new ArrivalOutcome(file.Key, isNew ? ArrivalOutcome.Recorded : ArrivalOutcome.Duplicate, file.BatchId));
            }
            start = end;
        }
        dailyFiles.Clear();
    }
}
