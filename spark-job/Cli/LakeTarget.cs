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
    private LakeTarget(IObjectStore store, IKpiStore kpis, string description)
    {
        Store = store;
        Kpis = kpis;
        Description = description;
    }

    public IObjectStore Store { get; }

    public IKpiStore Kpis { get; }

    public string Description { get; }

    /// <param name="loggers">Where a local lake reports entries it skips (symbolic links, FIFOs).</param>
    public static async Task<LakeTarget> OpenAsync(string? lake, string? bucket, TimeProvider clock, CancellationToken cancellationToken, bool createLake = false,
        ILoggerFactory? loggers = null)
    {
        if ((lake is null) == (bucket is null))
            throw new UsageException("give exactly one of --lake <folder> or --bucket <name>");
        if (bucket is not null)
        {
            var s3 = new S3ObjectStore(AwsClients.CreateS3(), bucket);
            var dynamo = new DynamoDbKpiStore(AwsClients.CreateDynamoDb(), KpiTableNames.FromEnvironment(), clock);
            return new LakeTarget(s3, dynamo, $"s3://{bucket}");
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
        return new LakeTarget(store, sqlite, folder);
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
            var dynamo = new DynamoDbKpiStore(AwsClients.CreateDynamoDb(), KpiTableNames.FromEnvironment(), clock);
            return new LakeTarget(s3, dynamo, $"s3://{bucket}");
        }
        var folder = Path.GetFullPath(lake!);
        if (!Directory.Exists(folder))
            throw new UsageException($"lake folder '{lake}' does not exist");
        var store = new LocalObjectStore(folder, (loggers ?? NullLoggerFactory.Instance).CreateLogger<LocalObjectStore>());
        return new LakeTarget(store, SqliteKpiStore.OpenReadOnly(Path.Combine(folder, LakeLayout.KpiDatabaseKey)), folder);
    }

    public ValueTask DisposeAsync() => Kpis.DisposeAsync();
}
