using Amazon.CDK;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.SQS;
using Amazon.CDK.AWS.StepFunctions;
using Constructs;
using LambdaFunction = Amazon.CDK.AWS.Lambda.Function;
using LambdaTarget = Amazon.CDK.AWS.Events.Targets.LambdaFunction;
using LambdaTargetProps = Amazon.CDK.AWS.Events.Targets.LambdaFunctionProps;

namespace KpiPipeline.Infra;

public sealed record PipelineFunctionsProps
{
    public required string CodeDirectory { get; init; }

    public required DataLake Lake { get; init; }

    public required BatchTracking Tracking { get; init; }

    public required RetentionDays LogRetention { get; init; }

    public required int StaleBatchAfterMinutes { get; init; }

    public required int SweepIntervalMinutes { get; init; }
}

/// <summary>
/// The four functions of lambda/ (one code asset, four handlers): the S3-event aggregator, the
/// scheduled sweeper, and the two date-lock handlers the state machine invokes.
/// </summary>
public sealed class PipelineFunctions : Construct
{
    public const string Assembly = "KpiPipeline.Lambda";
    public const string AggregatorHandler = Assembly + "::KpiPipeline.Lambda.Function::HandleAsync";
    public const string SweeperHandler = Assembly + "::KpiPipeline.Lambda.Function::SweepAsync";
    public const string AcquireLockHandler = Assembly + "::KpiPipeline.Lambda.DateLockFunction::AcquireAsync";
    public const string ReleaseLockHandler = Assembly + "::KpiPipeline.Lambda.DateLockFunction::ReleaseAsync";

    /// <summary>CDK 2.160 predates the managed .NET 10 runtime, so it is named rather than taken from Runtime.</summary>
    public static readonly Runtime DotNet10 = new("dotnet10", RuntimeFamily.DOTNET_CORE);

    private readonly PipelineFunctionsProps _props;
    private readonly Code _code;
    private readonly Role _batchRole;

    public PipelineFunctions(Construct scope, string id, PipelineFunctionsProps props)
        : base(scope, id)
    {
        _props = props;
        _code = Code.FromAsset(props.CodeDirectory);

        // S3 invokes asynchronously: an event that still fails after Lambda's two retries lands here
        // instead of vanishing, and can be replayed once the cause is fixed.
        DeadLetterQueue = new Queue(this, "AggregatorDeadLetters", new QueueProps
        {
            Encryption = QueueEncryption.SQS_MANAGED,
            EnforceSSL = true,
            RetentionPeriod = Duration.Days(14),
        });

        // The aggregator and the sweeper do the same job (write a batch manifest, start a run),
        // one per event and one on a schedule, so they share one role.
        _batchRole = NewRole("BatchRole");
        props.Tracking.GrantTrackerReadWrite(_batchRole);
        props.Lake.GrantRead(_batchRole, "raw/", "batches/");
        props.Lake.GrantWrite(_batchRole, "batches/");

        var batchEnvironment = new Dictionary<string, string>
        {
            ["TRACKER_TABLE"] = props.Tracking.Tracker.TableName,
            ["STALE_BATCH_AFTER_MINUTES"] = props.StaleBatchAfterMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        Aggregator = NewFunction("Aggregator", AggregatorHandler, _batchRole, batchEnvironment, Duration.Seconds(30), DeadLetterQueue);
        Aggregator.ConfigureAsyncInvoke(new EventInvokeConfigOptions { RetryAttempts = 2, MaxEventAge = Duration.Hours(6) });
        Sweeper = NewFunction("Sweeper", SweeperHandler, _batchRole, batchEnvironment, Duration.Minutes(2));
        _ = new Rule(this, "SweepSchedule", new RuleProps
        {
            Description = "Starts batches that stopped receiving files before they were complete",
            Schedule = Schedule.Rate(Duration.Minutes(props.SweepIntervalMinutes)),
            Targets = [new LambdaTarget(Sweeper, new LambdaTargetProps { RetryAttempts = 2 })],
        });

        var lockRole = NewRole("LockRole");
        props.Tracking.GrantLockReadWrite(lockRole);
        var lockEnvironment = new Dictionary<string, string> { ["LOCK_TABLE"] = props.Tracking.Locks.TableName };
        AcquireLock = NewFunction("AcquireLock", AcquireLockHandler, lockRole, lockEnvironment, Duration.Seconds(10));
        ReleaseLock = NewFunction("ReleaseLock", ReleaseLockHandler, lockRole, lockEnvironment, Duration.Seconds(10));
    }

    public LambdaFunction Aggregator { get; }

    public LambdaFunction Sweeper { get; }

    public LambdaFunction AcquireLock { get; }

    public LambdaFunction ReleaseLock { get; }

    public IQueue DeadLetterQueue { get; }

    /// <summary>Lets the aggregator and the sweeper start executions, and tells them which machine.</summary>
    public void StartExecutionsOf(IStateMachine stateMachine)
    {
        foreach (var function in new[] { Aggregator, Sweeper })
        {
            function.AddEnvironment("STATE_MACHINE_ARN", stateMachine.StateMachineArn);
        }

        stateMachine.GrantStartExecution(_batchRole);
    }

    /// <summary>lambda:InvokeFunction on exactly the two lock functions (and their versions).</summary>
    public void GrantInvokeLocks(IGrantable grantee)
    {
        AcquireLock.GrantInvoke(grantee);
        ReleaseLock.GrantInvoke(grantee);
    }

    private Role NewRole(string id) => new(this, id, new RoleProps
    {
        // A role of our own instead of AWSLambdaBasicExecutionRole, whose logs statement is on "*".
        AssumedBy = new ServicePrincipal("lambda.amazonaws.com"),
    });

    private LambdaFunction NewFunction(
        string id, string handler, Role role, IDictionary<string, string> environment, Duration timeout,
        IQueue? deadLetterQueue = null)
    {
        var logGroup = new LogGroup(this, $"{id}Logs", new LogGroupProps { Retention = _props.LogRetention });
        logGroup.GrantWrite(role);
        return new LambdaFunction(this, id, new FunctionProps
        {
            Runtime = DotNet10,
            Architecture = Architecture.ARM_64,
            Handler = handler,
            Code = _code,
            Role = role,
            MemorySize = 512,
            Timeout = timeout,
            Environment = new Dictionary<string, string>(environment)
            {
                // A stream-in handler cannot ask the runtime for its remaining time: this budget,
                // a little under the timeout, drives its cancellation token instead.
                ["INVOCATION_BUDGET_SECONDS"] = ((int)(timeout.ToSeconds() * 0.85)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            LogGroup = logGroup,
            DeadLetterQueue = deadLetterQueue,
        });
    }
}
