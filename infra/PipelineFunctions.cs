using Amazon.CDK;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Lambda.Destinations;
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

    /// <summary>The KPI tables the dashboard-api reads.</summary>
    public required KpiTables Kpis { get; init; }

    public required BatchTracking Tracking { get; init; }

    public required RetentionDays LogRetention { get; init; }

    public required int StaleBatchAfterMinutes { get; init; }

    public required int SweepIntervalMinutes { get; init; }
}

/// <summary>
/// The four functions of lambda/ (one code asset, one executable, four functions): the S3-event
/// aggregator, the scheduled sweeper, and the two date-lock functions the state machine invokes.
/// </summary>
public sealed class PipelineFunctions : Construct
{
    /// <summary>
    /// The managed runtime's executable-assembly form: the handler is the assembly's name and the
    /// program runs the Lambda Runtime API loop itself (a class-library handler would need
    /// Amazon.Lambda.Core in the package, which this project does not use).
    /// </summary>
    public const string Handler = "KpiPipeline.Lambda";

    /// <summary>Tells the one program which function a process serves (lambda/FunctionCatalog.cs).</summary>
    public const string FunctionVariable = "KPI_FUNCTION";

    public const string AggregatorName = "aggregator";
    public const string SweeperName = "sweeper";
    public const string AcquireLockName = "acquire-lock";
    public const string ReleaseLockName = "release-lock";
    public const string DashboardApiName = "dashboard-api";

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

        // S3 invokes asynchronously: an event that still fails after Lambda's two retries lands here,
        // with the error and the original event, instead of vanishing; it can be replayed once the
        // cause is fixed (docs/deployment.md).
        DeadLetterQueue = NewQueue("AggregatorDeadLetters");
        // The sweeper's: schedule events EventBridge could not deliver, and sweeps that failed after
        // Lambda's retries. A missed sweep is made good by the next one; the queue says it happened.
        SweeperDeadLetterQueue = NewQueue("SweeperDeadLetters");

        // The aggregator and the sweeper do the same job (write a batch manifest, start a run),
        // one per event and one on a schedule, so they share one role.
        _batchRole = NewRole("BatchRole");
        props.Tracking.GrantTrackerReadWrite(_batchRole);
        props.Lake.GrantRead(_batchRole, "raw/", "batches/");
        props.Lake.GrantWrite(_batchRole, "batches/");

        Aggregator = NewFunction("Aggregator", AggregatorName, _batchRole, BatchEnvironment(props, AggregatorTimeout), AggregatorTimeout);
        Aggregator.ConfigureAsyncInvoke(new EventInvokeConfigOptions
        {
            RetryAttempts = 2,
            MaxEventAge = Duration.Hours(6),
            OnFailure = new SqsDestination(DeadLetterQueue),
        });

        var sweeperEnvironment = BatchEnvironment(props, SweeperTimeout);
        sweeperEnvironment["STALE_BATCH_AFTER_MINUTES"] = props.StaleBatchAfterMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Sweeper = NewFunction("Sweeper", SweeperName, _batchRole, sweeperEnvironment, SweeperTimeout);
        var sweepInterval = Duration.Minutes(props.SweepIntervalMinutes);
        Sweeper.ConfigureAsyncInvoke(new EventInvokeConfigOptions
        {
            RetryAttempts = 2,
            // A sweep older than the interval is superseded by the next one.
            MaxEventAge = sweepInterval,
            OnFailure = new SqsDestination(SweeperDeadLetterQueue),
        });
        _ = new Rule(this, "SweepSchedule", new RuleProps
        {
            Description = "Starts batches that stopped receiving files before they were complete",
            Schedule = Schedule.Rate(sweepInterval),
            Targets =
            [
                new LambdaTarget(Sweeper, new LambdaTargetProps
                {
                    RetryAttempts = 2,
                    MaxEventAge = sweepInterval,
                    DeadLetterQueue = SweeperDeadLetterQueue,
                }),
            ],
        });

        var lockRole = NewRole("LockRole");
        props.Tracking.GrantLockReadWrite(lockRole);
        var lockEnvironment = new Dictionary<string, string> { ["LOCK_TABLE"] = props.Tracking.Locks.TableName };
        AcquireLock = NewFunction("AcquireLock", AcquireLockName, lockRole, lockEnvironment, LockTimeout);
        ReleaseLock = NewFunction("ReleaseLock", ReleaseLockName, lockRole, lockEnvironment, LockTimeout);

        // The dashboard only reads: KPIs of date ranges by Query on the month index (GetItem for single keys),
        // and the manifests, reports and rejects objects the batch view shows. Nothing it can write.
        var dashboardRole = NewRole("DashboardRole");
        GrantDashboardReads(dashboardRole, props.Kpis);
        props.Lake.GrantRead(dashboardRole, "batches/", "logs/validation/", "logs/transformation/", "invalid/");
        var dashboardEnvironment = new Dictionary<string, string>(props.Kpis.EnvironmentVariables) { ["BUCKET"] = props.Lake.Bucket.BucketName };
        DashboardApi = NewFunction("DashboardApi", DashboardApiName, dashboardRole, dashboardEnvironment, DashboardTimeout);
    }

    /// <summary>GetItem on the KPI tables and Query on their month index only: no Scan, no BatchGetItem, no write.</summary>
    private static void GrantDashboardReads(IGrantable grantee, KpiTables kpis)
    {
        foreach (var table in new[] { kpis.Daily, kpis.Category })
        {
            Amazon.CDK.AWS.IAM.Grant.AddToPrincipal(new GrantOnPrincipalOptions
            {
                Grantee = grantee,
                Actions = ["dynamodb:GetItem"],
                ResourceArns = [table.TableArn],
            });
            Amazon.CDK.AWS.IAM.Grant.AddToPrincipal(new GrantOnPrincipalOptions
            {
                Grantee = grantee,
                Actions = ["dynamodb:Query"],
                ResourceArns = [$"{table.TableArn}/index/{KpiTables.ByMonthIndex}"],
            });
        }
    }

    /// <summary>The dashboard's API and page behind API Gateway (<see cref="DashboardHttpApi"/>).</summary>
    public LambdaFunction DashboardApi { get; }

    public LambdaFunction Aggregator { get; }

    public LambdaFunction Sweeper { get; }

    public LambdaFunction AcquireLock { get; }

    public LambdaFunction ReleaseLock { get; }

    /// <summary>The aggregator's on-failure destination: S3 events it failed on after Lambda's retries.</summary>
    public IQueue DeadLetterQueue { get; }

    /// <summary>The sweeper's: undeliverable schedule events and failed sweeps.</summary>
    public IQueue SweeperDeadLetterQueue { get; }

    /// <summary>Every function, by its <see cref="FunctionVariable"/> name.</summary>
    public IReadOnlyDictionary<string, LambdaFunction> All => new Dictionary<string, LambdaFunction>
    {
        [AggregatorName] = Aggregator,
        [SweeperName] = Sweeper,
        [AcquireLockName] = AcquireLock,
        [ReleaseLockName] = ReleaseLock,
        [DashboardApiName] = DashboardApi,
    };

    /// <summary>Both dead-letter queues, by a name for dashboards and alarms.</summary>
    public IReadOnlyDictionary<string, IQueue> DeadLetterQueues => new Dictionary<string, IQueue>
    {
        [AggregatorName] = DeadLetterQueue,
        [SweeperName] = SweeperDeadLetterQueue,
    };

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

    private static readonly Duration AggregatorTimeout = Duration.Seconds(30);
    private static readonly Duration SweeperTimeout = Duration.Minutes(2);
    private static readonly Duration LockTimeout = Duration.Seconds(10);

    /// <summary>Under API Gateway's 30-second integration limit, with room for a year of KPIs read by month.</summary>
    private static readonly Duration DashboardTimeout = Duration.Seconds(20);

    /// <summary>
    /// INVOCATION_BUDGET_SECONDS is the function's timeout: no invocation of it can run longer, so a
    /// batch claim older than that has lost its claimer and may be resumed.
    /// </summary>
    private static Dictionary<string, string> BatchEnvironment(PipelineFunctionsProps props, Duration timeout) => new()
    {
        ["TRACKER_TABLE"] = props.Tracking.Tracker.TableName,
        ["INVOCATION_BUDGET_SECONDS"] = timeout.ToSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private Queue NewQueue(string id) => new(this, id, new QueueProps
    {
        Encryption = QueueEncryption.SQS_MANAGED,
        EnforceSSL = true,
        RetentionPeriod = Duration.Days(14),
    });

    private LambdaFunction NewFunction(string id, string name, Role role, IDictionary<string, string> environment, Duration timeout)
    {
        var logGroup = new LogGroup(this, $"{id}Logs", new LogGroupProps { Retention = _props.LogRetention });
        logGroup.GrantWrite(role);
        return new LambdaFunction(this, id, new FunctionProps
        {
            Runtime = DotNet10,
            Architecture = Architecture.ARM_64,
            Handler = Handler,
            Code = _code,
            Role = role,
            MemorySize = 512,
            Timeout = timeout,
            Environment = new Dictionary<string, string>(environment) { [FunctionVariable] = name },
            LogGroup = logGroup,
            // The runtime loop passes each invocation's trace header on (_X_AMZN_TRACE_ID).
            Tracing = Tracing.ACTIVE,
        });
    }
}
