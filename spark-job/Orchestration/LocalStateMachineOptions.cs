namespace KpiPipeline.Orchestration;

/// <summary>
/// How <see cref="LocalStateMachine"/> runs the checked-in definition on this machine: which executables stand
/// in for the two containers and the lock functions, where the lake and the notifications are, and the local
/// values of the deploy-time placeholders.
/// </summary>
public sealed record LocalStateMachineOptions
{
    /// <summary>Account id in the local ARNs: clearly not a real account.</summary>
    public const string LocalAccount = "000000000000";

    /// <summary>The folder holding <c>statemachine/</c> and the <c>node_modules</c> of <c>npm ci</c>.</summary>
    public required string RepositoryRoot { get; init; }

    /// <summary>The validator container's stand-in, e.g. <c>["dotnet", ".../validator.dll"]</c>; the state machine's Command is appended.</summary>
    public required IReadOnlyList<string> ValidatorCommand { get; init; }

    /// <summary>The KPI job container's stand-in, e.g. <c>["dotnet", ".../kpi-job.dll"]</c>.</summary>
    public required IReadOnlyList<string> KpiJobCommand { get; init; }

    /// <summary>
    /// The Lambda project's executable (<c>invoke --function acquire-lock|release-lock</c> is appended), which
    /// keeps the leases in DynamoDB (<c>LOCK_TABLE</c>); null together with <see cref="LockFolder"/>.
    /// </summary>
    public IReadOnlyList<string>? LambdaCommand { get; init; }

    /// <summary>Leases as files in this folder instead of the Lambda and DynamoDB (a lake in a local folder).</summary>
    public string? LockFolder { get; init; }

    /// <summary>A lake in a local folder: the containers get <c>--lake</c> instead of <c>--bucket</c>.</summary>
    public string? LakeFolder { get; init; }

    /// <summary>Notifications appended to this file as JSON lines instead of published to SNS (<c>AWS_ENDPOINT_URL_SNS</c>).</summary>
    public string? NotificationsFile { get; init; }

    public string Region { get; init; } = "us-east-1";

    public string SuccessTopicArn { get; init; } = $"arn:aws:sns:us-east-1:{LocalAccount}:kpi-pipeline-success";

    public string FailureTopicArn { get; init; } = $"arn:aws:sns:us-east-1:{LocalAccount}:kpi-pipeline-failure";

    /// <summary>
    /// What every Wait state pauses instead of its seconds (the lease poll, the retry backoffs). Retry pauses
    /// are skipped. The number of attempts stays the definition's.
    /// </summary>
    public TimeSpan WaitOverride { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Variables added to the environment of the scripts and the executables (tables, endpoints, test hooks).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// A script for a Task state by name, instead of the one chosen by its Resource (tests wrap the standard
    /// scripts this way). Each is run as <c>node &lt;script&gt; &lt;task input json&gt;</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> TaskScripts { get; init; } = new Dictionary<string, string>();

    /// <summary>The definition; by default the checked-in <c>statemachine/kpi-pipeline.asl.json</c>.</summary>
    public string DefinitionPath => Path.Combine(RepositoryRoot, "statemachine", "kpi-pipeline.asl.json");

    /// <summary>The override scripts of <c>statemachine/local/</c>.</summary>
    public string ScriptsDirectory => Path.Combine(RepositoryRoot, "statemachine", "local");

    /// <summary>Node 22 from <c>npm ci</c> (<c>node_modules/.bin/node</c>); <c>node</c> on PATH when it is not there.</summary>
    public string Node
    {
        get
        {
            var local = Path.Combine(RepositoryRoot, "node_modules", ".bin", OperatingSystem.IsWindows() ? "node.exe" : "node");
            return File.Exists(local) ? local : "node";
        }
    }

    /// <summary>The local value of each deploy-time placeholder (docs/architecture.md); the scripts read the names out of them.</summary>
    public IReadOnlyDictionary<string, string> Substitutions() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ClusterArn"] = $"arn:aws:ecs:{Region}:{LocalAccount}:cluster/kpi-pipeline-local",
        ["ValidatorTaskDefinitionArn"] = $"arn:aws:ecs:{Region}:{LocalAccount}:task-definition/validator:1",
        ["KpiJobTaskDefinitionArn"] = $"arn:aws:ecs:{Region}:{LocalAccount}:task-definition/kpi-job:1",
        ["SubnetA"] = "subnet-local-a",
        ["SubnetB"] = "subnet-local-b",
        ["SecurityGroupId"] = "sg-local",
        ["SuccessTopicArn"] = SuccessTopicArn,
        ["FailureTopicArn"] = FailureTopicArn,
        ["AcquireLockFunctionArn"] = $"arn:aws:lambda:{Region}:{LocalAccount}:function:acquire-lock",
        ["ReleaseLockFunctionArn"] = $"arn:aws:lambda:{Region}:{LocalAccount}:function:release-lock",
    };
}
