using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.DynamoDBv2;
using KpiPipeline.Lake;
using KpiPipeline.Lambda.Events;
using KpiPipeline.Lambda.Locks;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda;

/// <summary>
/// The state machine's per-date lease: <see cref="AcquireAsync"/> takes
/// <c>{"batch_id", "owner", "lease_seconds"}</c> and answers <c>{"acquired", "batch_id", "owner", "expires_at"}</c>
/// (the state machine retries while not acquired); <see cref="ReleaseAsync"/> takes <c>{"batch_id", "owner"}</c>.
/// </summary>
public sealed class DateLockFunction
{
    /// <summary>A lease longer than a day is a mistake in the caller, not a long run.</summary>
    public const int MaxLeaseSeconds = 86_400;

    private readonly DateLock _lock;
    private readonly ILogger _logger;

    public DateLockFunction(IAmazonDynamoDB dynamoDb, LambdaSettings settings, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(dynamoDb);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = loggerFactory.CreateLogger<DateLockFunction>();
        _lock = new DateLock(dynamoDb, settings.LockTable, timeProvider);
    }

    public Task<Stream> AcquireAsync(Stream input, CancellationToken cancellationToken = default) => RunAsync(FunctionCatalog.AcquireLock, input, async (request, token) =>
    {
        var lease = request.LeaseSeconds ?? throw new InvalidEventException("lease_seconds is missing.");
        var result = await _lock.AcquireAsync(request.BatchId, request.Owner, TimeSpan.FromSeconds(lease), token).ConfigureAwait(false);
        if (result.Acquired)
            Log.LockAcquired(_logger, result.BatchId, result.Owner, result.ExpiresAt!.Value);
        else
            Log.LockBusy(_logger, result.BatchId, result.Owner, result.HeldBy, result.ExpiresAt);
        return result;
    }, cancellationToken);

    public Task<Stream> ReleaseAsync(Stream input, CancellationToken cancellationToken = default) => RunAsync(FunctionCatalog.ReleaseLock, input, async (request, token) =>
    {
        var result = await _lock.ReleaseAsync(request.BatchId, request.Owner, token).ConfigureAwait(false);
        if (result.Released)
            Log.LockReleased(_logger, result.BatchId, result.Owner);
        else
            Log.LockNotHeld(_logger, result.BatchId, result.Owner);
        return result;
    }, cancellationToken);

    private Task<Stream> RunAsync(string function, Stream input, Func<LockRequest, CancellationToken, Task<object>> body, CancellationToken cancellationToken) =>
        HandlerInvocation.RunAsync(function, input, _logger, async (stream, token) =>
            await body(await LockRequest.ParseAsync(stream, token).ConfigureAwait(false), token).ConfigureAwait(false), cancellationToken);

    private sealed record LockRequest(string BatchId, string Owner, long? LeaseSeconds)
    {
        public static async Task<LockRequest> ParseAsync(Stream input, CancellationToken cancellationToken)
        {
            using var document = await JsonInput.ParseAsync(input, "lock request", cancellationToken).ConfigureAwait(false);
            var root = JsonInput.Object(document.RootElement, "");
            var batchId = JsonInput.RequiredString(root, "batch_id", "");
            if (!LakeLayout.TryParseDate(batchId, out _))
                throw new InvalidEventException($"batch_id '{batchId}' is not a batch date (YYYY-MM-DD).");
            var owner = JsonInput.RequiredString(root, "owner", "");
            var lease = JsonInput.OptionalInteger(root, "lease_seconds", "");
            if (lease is <= 0 or > MaxLeaseSeconds)
                throw new InvalidEventException($"lease_seconds must be between 1 and {MaxLeaseSeconds}, found {lease}.");
            return new LockRequest(batchId, owner, lease);
        }
    }
}
