using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using KpiPipeline.Batching;
using KpiPipeline.Dashboard;
using KpiPipeline.Lake;
using KpiPipeline.Stores;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda;

/// <summary>
/// What a function is built from at start-up: its settings and the AWS clients, the standard AWS way
/// (<see cref="AwsClients"/>), configured from the environment. Built once per process, before the
/// first event; anything missing fails the start-up, not an invocation.
/// </summary>
internal sealed class LambdaServices
{
    private readonly Lazy<IAmazonS3> _s3;
    private readonly Lazy<IAmazonDynamoDB> _dynamoDb;

    public LambdaServices(LambdaSettings settings, ILoggerFactory loggerFactory)
    {
        Settings = settings;
        LoggerFactory = loggerFactory;
        _s3 = new(() => Configured(AwsClients.CreateS3));
        _dynamoDb = new(() => Configured(DynamoDbClients.Create));
    }

    public LambdaSettings Settings { get; }

    public ILoggerFactory LoggerFactory { get; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public IAmazonDynamoDB DynamoDb => _dynamoDb.Value;

    public IObjectStore StoreForBucket(string bucket) => new S3ObjectStore(_s3.Value, bucket);

    /// <summary>The state machine the batch functions start; they cannot work without one.</summary>
    /// <exception cref="ConfigurationException"><c>STATE_MACHINE_ARN</c> is not set.</exception>
    public IExecutionStarter CreateStarter(string function) =>
        Settings.StateMachineArn is { } arn
            ? Configured(() => StepFunctionsStarter.Create(arn))
            : throw new ConfigurationException($"STATE_MACHINE_ARN is not set: the {function} starts the state machine's executions and needs its ARN.");

    /// <summary>The dashboard over the KPI tables (<c>DAILY_KPIS_TABLE</c>, <c>CATEGORY_KPIS_TABLE</c>) and the bucket (<c>BUCKET</c>).</summary>
    /// <exception cref="ConfigurationException"><c>BUCKET</c> is not set.</exception>
    public DashboardApi CreateDashboardApi()
    {
        var bucket = Environment.GetEnvironmentVariable("BUCKET") is { Length: > 0 } name
            ? name
            : throw new ConfigurationException("BUCKET is not set: the dashboard-api reads batch manifests and validation reports from it.");
        var store = StoreForBucket(bucket);
        var kpis = new DynamoDbKpiStore(DynamoDb, KpiTableNames.FromEnvironment(), TimeProvider);
        return new DashboardApi(kpis, new LakeBatchStatusSource(store), store, TimeProvider, LoggerFactory.CreateLogger<DashboardApi>());
    }

    private static T Configured<T>(Func<T> create)
    {
        try
        {
            return create();
        }
        catch (Exception e) when (e is AmazonClientException or InvalidOperationException)
        {
            // Only happens outside Lambda (which always sets the region and credentials): say what to set.
            throw new ConfigurationException($"AWS is not configured: {e.Message} (set AWS_REGION and credentials, and AWS_ENDPOINT_URL_* for local emulators).");
        }
    }
}
