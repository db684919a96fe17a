using KpiPipeline.Lambda.Runtime;

namespace KpiPipeline.Lambda;

/// <param name="Name">The value of <c>KPI_FUNCTION</c> (and of <c>invoke --function</c>).</param>
/// <param name="Environment">Every variable the function is configured by in AWS, which CDK must set.</param>
public sealed record FunctionDefinition(string Name, string Purpose, IReadOnlyList<string> Environment)
{
    internal Func<LambdaServices, InvocationHandler> Create { get; init; } = _ => throw new InvalidOperationException("No factory.");
}

/// <summary>
/// The functions one package serves. Lambda runs the package as an executable (<c>Handler</c> = the
/// assembly name); which function a process serves is <c>KPI_FUNCTION</c>, set per function by CDK.
/// </summary>
public static class FunctionCatalog
{
    public const string FunctionVariable = "KPI_FUNCTION";

    public const string Aggregator = "aggregator";
    public const string Sweeper = "sweeper";
    public const string AcquireLock = "acquire-lock";
    public const string ReleaseLock = "release-lock";
    public const string DashboardApi = "dashboard-api";

    public static IReadOnlyList<FunctionDefinition> All { get; } =
    [
        new(Aggregator, "S3 ObjectCreated notifications: track each batch's files, start each batch version once",
            [FunctionVariable, "TRACKER_TABLE", "STATE_MACHINE_ARN", "INVOCATION_BUDGET_SECONDS"])
        {
            Create = AggregatorHandler,
        },
        new(Sweeper, "scheduled: start batches whose events were lost, report or release stale ones",
            [FunctionVariable, "TRACKER_TABLE", "STATE_MACHINE_ARN", "INVOCATION_BUDGET_SECONDS", "STALE_BATCH_AFTER_MINUTES"])
        {
            Create = SweeperHandler,
        },
        new(AcquireLock, "state machine: take the per-date lease", [FunctionVariable, "LOCK_TABLE"])
        {
            Create = AcquireLockHandler,
        },
        new(ReleaseLock, "state machine: release the per-date lease", [FunctionVariable, "LOCK_TABLE"])
        {
            Create = ReleaseLockHandler,
        },
        new(DashboardApi, "API Gateway HTTP API: the KPI dashboard's API and page, read-only",
            [FunctionVariable, "DAILY_KPIS_TABLE", "CATEGORY_KPIS_TABLE", "BUCKET"])
        {
            Create = DashboardApiHandler,
        },
    ];

    public static IEnumerable<string> Names => All.Select(function => function.Name);

    public static FunctionDefinition? Find(string? name) => All.FirstOrDefault(function => function.Name == name);

    private static InvocationHandler AggregatorHandler(LambdaServices services)
    {
        var function = BatchFunction(services, Aggregator);
        return (input, _, token) => function.HandleAsync(input, token);
    }

    private static InvocationHandler SweeperHandler(LambdaServices services)
    {
        var function = BatchFunction(services, Sweeper);
        return (input, _, token) => function.SweepAsync(input, token);
    }

    private static InvocationHandler AcquireLockHandler(LambdaServices services)
    {
        var function = LockFunction(services);
        return (input, _, token) => function.AcquireAsync(input, token);
    }

    private static InvocationHandler ReleaseLockHandler(LambdaServices services)
    {
        var function = LockFunction(services);
        return (input, _, token) => function.ReleaseAsync(input, token);
    }

    private static InvocationHandler DashboardApiHandler(LambdaServices services)
    {
        var function = new DashboardFunction(services.CreateDashboardApi(), services.LoggerFactory);
        return (input, _, token) => function.HandleAsync(input, token);
    }

    private static Function BatchFunction(LambdaServices services, string name) =>
        new(services.DynamoDb, services.StoreForBucket, services.CreateStarter(name), services.Settings, services.TimeProvider, services.LoggerFactory);

    private static DateLockFunction LockFunction(LambdaServices services) =>
        new(services.DynamoDb, services.Settings, services.TimeProvider, services.LoggerFactory);
}
