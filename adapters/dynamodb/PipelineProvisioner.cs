using System.Net;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using KpiPipeline.Lake;

namespace KpiPipeline.Stores;

/// <summary>The physical names of all four tables, from the variables the CDK stack sets on each deployable.</summary>
public sealed record PipelineTableNames(string Daily, string Category, string Tracker, string Locks)
{
    public static PipelineTableNames FromEnvironment()
    {
        var kpis = KpiTableNames.FromEnvironment();
        return new(kpis.Daily, kpis.Category,
            Environment.GetEnvironmentVariable("TRACKER_TABLE") is { Length: > 0 } tracker ? tracker : PipelineTables.BatchFileTracker.DefaultName,
            Environment.GetEnvironmentVariable("LOCK_TABLE") is { Length: > 0 } locks ? locks : PipelineTables.BatchDateLocks.DefaultName);
    }

    /// <summary>Each table's name with the layout it must have.</summary>
    public IReadOnlyList<(string Name, DynamoDbTableLayout Layout)> WithLayouts() =>
    [
        (Daily, PipelineTables.DailyKpis),
        (Category, PipelineTables.CategoryKpis),
        (Tracker, PipelineTables.BatchFileTracker),
        (Locks, PipelineTables.BatchDateLocks),
    ];
}

/// <summary>What <see cref="PipelineProvisioner"/> found or made: <c>bucket</c> or <c>table</c>, its name, and whether it was created now.</summary>
public sealed record ProvisionedResource(string Kind, string Name, bool Created);

/// <summary>
/// Creates what a bucket-backed run needs when it is missing: the bucket and the four tables with the keys and
/// indexes of <see cref="PipelineTables"/> (the layouts the CDK stack declares). Idempotent: what exists with the
/// right keys is left alone; a table with other keys is never altered (<see cref="KpiStoreException"/> naming it).
/// Meant for local emulators and first set-up; in AWS the stack owns these resources.
/// </summary>
public sealed class PipelineProvisioner(IAmazonS3 s3, IAmazonDynamoDB dynamo, TimeProvider clock)
{
    private static readonly TimeSpan ActivePollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ActiveTimeout = TimeSpan.FromMinutes(2);

    public async Task<IReadOnlyList<ProvisionedResource>> EnsureAsync(string bucket, PipelineTableNames tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var done = new List<ProvisionedResource> { new("bucket", bucket, await EnsureBucketAsync(bucket, cancellationToken).ConfigureAwait(false)) };
        foreach (var (name, layout) in tables.WithLayouts())
            done.Add(new("table", name, await EnsureTableAsync(name, layout, cancellationToken).ConfigureAwait(false)));
        return done;
    }

    /// <returns>Whether the bucket was created now.</returns>
    public async Task<bool> EnsureBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        // Asked first: in us-east-1 S3 answers a create of one's own existing bucket with success.
        try
        {
            await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
        {
            // Created below.
        }
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou")
        {
            return false;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyExists" || e.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new ObjectStoreUnavailableException(
                $"S3 bucket '{bucket}' cannot be created (S3 said {e.ErrorCode}: {e.Message}); bucket names are global, choose another", e);
        }
    }

    /// <returns>Whether the table was created now.</returns>
    public async Task<bool> EnsureTableAsync(string name, DynamoDbTableLayout layout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (await DescribeAsync(name, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            if (!layout.Matches(existing))
                throw new KpiStoreException($"DynamoDB table {name} exists with {Describe(existing)}, not the {layout.Describe()} the pipeline needs; left untouched (delete it or set its variable to another name)");
            await WaitUntilActiveAsync(name, existing, cancellationToken).ConfigureAwait(false);
            return false;
        }
        try
        {
            await dynamo.CreateTableAsync(layout.ToCreateTableRequest(name), cancellationToken).ConfigureAwait(false);
        }
        catch (ResourceInUseException)
        {
            // Created by someone else between the look and the create: check it like any existing table.
            return await EnsureTableAsync(name, layout, cancellationToken).ConfigureAwait(false);
        }
        await WaitUntilActiveAsync(name, null, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<TableDescription?> DescribeAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await dynamo.DescribeTableAsync(name, cancellationToken).ConfigureAwait(false)).Table;
        }
        catch (ResourceNotFoundException)
        {
            return null;
        }
    }

    private async Task WaitUntilActiveAsync(string name, TableDescription? described, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        while (true)
        {
            described ??= await DescribeAsync(name, cancellationToken).ConfigureAwait(false);
            if (described?.TableStatus == TableStatus.ACTIVE)
                return;
            if (clock.GetElapsedTime(started) > ActiveTimeout)
                throw new KpiStoreException($"DynamoDB table {name} is still {described?.TableStatus?.Value ?? "missing"} after {ActiveTimeout.TotalMinutes:0} minutes");
            described = null;
            await Task.Delay(ActivePollInterval, clock, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Describe(TableDescription table)
    {
        static string Keys(List<KeySchemaElement>? schema) => string.Join(" + ",
            (schema ?? []).OrderBy(k => k.KeyType == KeyType.HASH ? 0 : 1).Select(k => k.AttributeName));
        return $"key {Keys(table.KeySchema)}"
            + string.Concat((table.GlobalSecondaryIndexes ?? []).Select(index => $", index {index.IndexName} ({Keys(index.KeySchema)})"));
    }
}
