using Amazon.DynamoDBv2.Model;
using KpiPipeline.Batching;
using KpiPipeline.Lake;
using KpiPipeline.Stores;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>
/// Where a command works: a local folder (the lake, with the SQLite KPI store inside) or an S3 bucket with
/// the DynamoDB KPI tables, configured the standard AWS way.
/// </summary>
internal sealed class LakeTarget : IAsyncDisposable
{
    /// <summary>The DynamoDB batch tracker's table for <c>--bucket</c> (the Lambda's variable, same default).</summary>
    public const string TrackerTableVariable = "TRACKER_TABLE";

    /// <summary>Where <c>--bucket</c> runs keep what has no place in the bucket (the lock, a tracker without the DynamoDB table).</summary>
    public const string StateFolderVariable = "KPI_STATE_DIR";

    private LakeTarget(IObjectStore store, IKpiStore kpis, string description, string? lake, string? bucket)
    {
        Store = store;
        Kpis = kpis;
        Description = description;
        Lake = lake;
        Bucket = bucket;
    }

    public IObjectStore Store { get; }

    public IKpiStore Kpis { get; }

    public string Description { get; }

    /// <summary>The local lake's full path (null with a bucket).</summary>
    public string? Lake { get; }

    public string? Bucket { get; }

    /// <summary>The bucket name batch state records: the bucket, or the lake folder's name.</summary>
    public string BucketName => Bucket ?? Path.GetFileName(Lake!);

    /// <summary>
    /// The file whose OS lock makes one run per lake: in the lake, or for a bucket in the local state folder (so it
    /// keeps runs of one machine apart; runs on several machines are kept apart by the tracker's conditions only).
    /// </summary>
    public string LockPath => Lake is not null ? Path.Combine(Lake, "kpi-job.lock") : Path.Combine(BucketStateFolder(), "run.lock");

    /// <param name="loggers">Where a local lake reports entries it skips (symbolic links, FIFOs).</param>
    public static async Task<LakeTarget> OpenAsync(string? lake, string? bucket, TimeProvider clock, CancellationToken cancellationToken, bool createLake = false,
        ILoggerFactory? loggers = null)
    {
        if ((lake is null) == (bucket is null))
            throw new UsageException("give exactly one of --lake <folder> or --bucket <name>");
        if (bucket is not null)
        {
            var s3 = new S3ObjectStore(AwsClients.CreateS3(), bucket);
            var dynamo = new DynamoDbKpiStore(DynamoDbClients.Create(), KpiTableNames.FromEnvironment(), clock);
            return new LakeTarget(s3, dynamo, $"s3://{bucket}", null, bucket);
        }
        var folder = Path.GetFullPath(lake!);
        if (!Directory.Exists(folder))
        {
            if (!createLake)
                throw new UsageException($"lake folder '{lake}' does not exist");
            Directory.CreateDirectory(folder);
        }
        var store = new LocalObjectStore(folder, (loggers ?? NullLoggerFactory.Instance).CreateLogger<LocalObjectStore>());
        var sqlite = await SqliteKpiStore.OpenInLakeAsync(folder, cancellationToken).ConfigureAwait(false);
        return new LakeTarget(store, sqlite, folder, folder, null);
    }

    /// <summary>
    /// The same places for reading only (<c>serve</c>): a lake folder must exist, and neither it nor its KPI
    /// database is created or written (<see cref="SqliteKpiStore.OpenReadOnly"/>).
    /// </summary>
    public static LakeTarget OpenReadOnly(string? lake, string? bucket, TimeProvider clock, ILoggerFactory? loggers = null)
    {
        if ((lake is null) == (bucket is null))
            throw new UsageException("give exactly one of --lake <folder> or --bucket <name>");
        if (bucket is not null)
        {
            var s3 = new S3ObjectStore(AwsClients.CreateS3(), bucket);
            var dynamo = new DynamoDbKpiStore(DynamoDbClients.Create(), KpiTableNames.FromEnvironment(), clock);
            return new LakeTarget(s3, dynamo, $"s3://{bucket}", null, bucket);
        }
        var folder = Path.GetFullPath(lake!);
        if (!Directory.Exists(folder))
            throw new UsageException($"lake folder '{lake}' does not exist");
        var store = new LocalObjectStore(folder, (loggers ?? NullLoggerFactory.Instance).CreateLogger<LocalObjectStore>());
        return new LakeTarget(store, SqliteKpiStore.OpenReadOnly(Path.Combine(folder, LakeLayout.KpiDatabaseKey)), folder, folder, null);
    }

    /// <summary>
    /// The batch tracker: a table of a local lake's <c>kpis.db</c>. For a bucket, the Lambda's DynamoDB table when it
    /// exists (so local runs and the deployed pipeline share one batch state), else a SQLite file in the local
    /// state folder.
    /// </summary>
    public async Task<IBatchTracker> OpenTrackerAsync(CancellationToken cancellationToken)
    {
        if (Lake is not null)
            return Own(await SqliteBatchTracker.OpenInLakeAsync(Lake, cancellationToken).ConfigureAwait(false));
        var table = Environment.GetEnvironmentVariable(TrackerTableVariable) is { Length: > 0 } name ? name : PipelineTables.BatchFileTracker.DefaultName;
        var dynamoDb = DynamoDbClients.Create();
        try
        {
            await dynamoDb.DescribeTableAsync(table, cancellationToken).ConfigureAwait(false);
            return new DynamoDbBatchTracker(dynamoDb, table);
        }
        catch (ResourceNotFoundException)
        {
            dynamoDb.Dispose();
            return Own(await SqliteBatchTracker.OpenAsync(Path.Combine(BucketStateFolder(), "tracker.db"), cancellationToken).ConfigureAwait(false));
        }
    }

    private readonly List<IAsyncDisposable> _owned = [];

    private T Own<T>(T resource) where T : IAsyncDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    /// <summary>
    /// <c>$KPI_STATE_DIR</c>, else <c>$XDG_STATE_HOME/kpi-job</c> (<c>~/.local/state/kpi-job</c>), then the S3 endpoint
    /// (emulators' buckets are not AWS's) and the bucket.
    /// </summary>
    private string BucketStateFolder()
    {
        var root = Environment.GetEnvironmentVariable(StateFolderVariable) is { Length: > 0 } state ? state
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state"), "kpi-job");
        var endpoint = AwsClients.EndpointOverride("S3") is { } uri ? $"{uri.Host}_{uri.Port}" : "aws";
        var folder = Path.Combine(root, endpoint, Bucket!);
        Directory.CreateDirectory(folder);
        return folder;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
            await owned.DisposeAsync().ConfigureAwait(false);
        await Kpis.DisposeAsync().ConfigureAwait(false);
    }
}
