using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.StepFunctions;
using Constructs;

namespace KpiPipeline.Infra;

public sealed record PipelineStateMachineProps
{
    /// <summary>The checked-in ASL file; this app never holds a second copy of the definition.</summary>
    public required string DefinitionPath { get; init; }

    public required PipelineNetwork Network { get; init; }

    public required PipelineContainers Containers { get; init; }

    public required PipelineFunctions Functions { get; init; }

    public required Notifications Notifications { get; init; }

    public required RetentionDays LogRetention { get; init; }
}

/// <summary>
/// The Step Functions state machine built from statemachine/kpi-pipeline.asl.json, with its
/// deploy-time placeholders (docs/architecture.md) filled in by CloudFormation.
/// </summary>
public sealed class PipelineStateMachine : Construct
{
    /// <summary>The placeholders of the contract, each standing for one deployed resource.</summary>
    public static readonly IReadOnlyList<string> PlaceholderNames =
    [
        "ClusterArn", "ValidatorTaskDefinitionArn", "KpiJobTaskDefinitionArn", "SubnetA", "SubnetB",
        "SecurityGroupId", "SuccessTopicArn", "FailureTopicArn", "AcquireLockFunctionArn", "ReleaseLockFunctionArn",
    ];

    public PipelineStateMachine(Construct scope, string id, PipelineStateMachineProps props)
        : base(scope, id)
    {
        LogGroup = new LogGroup(this, "Logs", new LogGroupProps { Retention = props.LogRetention });
        var (subnetA, subnetB) = props.Network.TaskSubnets;

        StateMachine = new StateMachine(this, "StateMachine", new StateMachineProps
        {
            StateMachineType = StateMachineType.STANDARD,
            // An S3 asset of the file itself; CloudFormation substitutes the placeholders at deploy time.
            DefinitionBody = DefinitionBody.FromFile(props.DefinitionPath),
            DefinitionSubstitutions = new Dictionary<string, string>
            {
                ["ClusterArn"] = props.Containers.Cluster.ClusterArn,
                ["ValidatorTaskDefinitionArn"] = props.Containers.Validator.TaskDefinitionArn,
                ["KpiJobTaskDefinitionArn"] = props.Containers.KpiJob.TaskDefinitionArn,
                ["SubnetA"] = subnetA.SubnetId,
                ["SubnetB"] = subnetB.SubnetId,
                ["SecurityGroupId"] = props.Network.TaskSecurityGroup.SecurityGroupId,
                ["SuccessTopicArn"] = props.Notifications.Success.TopicArn,
                ["FailureTopicArn"] = props.Notifications.Failure.TopicArn,
                ["AcquireLockFunctionArn"] = props.Functions.AcquireLock.FunctionArn,
                ["ReleaseLockFunctionArn"] = props.Functions.ReleaseLock.FunctionArn,
            },
            // Every event with its input and output: what the dashboard's per-state failures are counted
            // from, and what explains a failed execution. The data is manifest keys and exit codes, no KPI rows.
            Logs = new LogOptions { Destination = LogGroup, Level = LogLevel.ALL, IncludeExecutionData = true },
            TracingEnabled = true,
        });

        // The definition is opaque to CDK, so nothing is granted implicitly: each integration it uses
        // is granted here, on exactly the resources it is given.
        props.Containers.GrantRun(StateMachine);
        props.Functions.GrantInvokeLocks(StateMachine);
        props.Notifications.GrantPublish(StateMachine);
        // runTask.sync learns that a task stopped from an EventBridge rule Step Functions manages itself.
        StateMachine.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            Resources = [Stack.Of(this).FormatArn(new ArnComponents
            {
                Service = "events",
                Resource = "rule",
                ResourceName = "StepFunctionsGetEventsForECSTaskRule",
                ArnFormat = ArnFormat.SLASH_RESOURCE_NAME,
            })],
        }));
    }

    public StateMachine StateMachine { get; }

    /// <summary>The execution history as log events (JSON: type, details, execution_arn).</summary>
    public ILogGroup LogGroup { get; }
}
