using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using KpiPipeline.Batching;
using KpiPipeline.Lake;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace KpiPipeline.Lambda;

/// <summary>
/// What the parameterless handler constructors use: one set of clients per process, built on first use
/// the standard AWS way (<see cref="AwsClients"/>), configured from the environment.
/// </summary>
internal sealed class LambdaRuntime
{
    private static readonly Lazy<LambdaRuntime> Instance = new(() => new LambdaRuntime());

    private readonly Lazy<IAmazonS3> _s3 = new(AwsClients.CreateS3);

    private LambdaRuntime()
    {
        Settings = LambdaSettings.FromEnvironment();
        try
        {
            DynamoDb = AwsClients.CreateDynamoDb();
            Starter = Settings.StateMachineArn is { } arn ? StepFunctionsStarter.Create(arn) : new UnconfiguredExecutionStarter();
        }
        catch (Exception e) when (e is AmazonClientException or InvalidOperationException)
        {
            // Only happens outside Lambda (which always sets the region and credentials): say what to set.
            throw new ConfigurationException($"AWS is not configured: {e.Message} (set AWS_REGION and credentials, and AWS_ENDPOINT_URL_* for local emulators).");
        }
        LoggerFactory = CreateLoggerFactory();
    }

    public static LambdaRuntime Shared => Instance.Value;

    /// <summary>Writes out buffered log lines; the local invoke calls it before the process exits.</summary>
    public static void FlushLogs()
    {
        if (Instance.IsValueCreated)
            Instance.Value.LoggerFactory.Dispose();
    }

    public LambdaSettings Settings { get; }

    public IAmazonDynamoDB DynamoDb { get; }

    public IExecutionStarter Starter { get; }

    public ILoggerFactory LoggerFactory { get; }

    public IObjectStore StoreForBucket(string bucket) => new S3ObjectStore(_s3.Value, bucket);

    /// <summary>
    /// Every line to standard error: Lambda sends it to CloudWatch, and the local invoke keeps standard
    /// output for the result JSON. JSON lines in Lambda (queryable), plain lines on a terminal.
    /// </summary>
    public static ILoggerFactory CreateLoggerFactory() => Microsoft.Extensions.Logging.LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(LogLevel.Information);
        builder.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        if (Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME") is not null)
            builder.AddJsonConsole(options => options.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ");
        else
            builder.AddSimpleConsole(options => options.SingleLine = true);
    });
}
