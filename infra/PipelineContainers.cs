using Amazon.CDK;
using Amazon.CDK.AWS.Ecr.Assets;
using Amazon.CDK.AWS.ECS;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Logs;
using Constructs;

namespace KpiPipeline.Infra;

public sealed record PipelineContainersProps
{
    public required RepositoryLayout Layout { get; init; }

    public required PipelineNetwork Network { get; init; }

    public required DataLake Lake { get; init; }

    public required KpiTables Kpis { get; init; }

    public required RetentionDays LogRetention { get; init; }
}

/// <summary>The ECS cluster and the two Fargate task definitions the state machine runs.</summary>
public sealed class PipelineContainers : Construct
{
    public const string ValidatorContainerName = "validator";
    public const string KpiJobContainerName = "kpi-job";

    /// <summary>
    /// Kept out of the image build context (on top of the root .dockerignore), so the asset hash and
    /// the upload change only when something an image is built from changes.
    /// </summary>
    public static readonly IReadOnlyList<string> BuildContextExclusions =
        ["**/node_modules", "**/bin", "**/obj", "**/cdk.out", ".git", "**/TestResults", "infra/.lambda-publish", ".tmp", ".bench"];

    public PipelineContainers(Construct scope, string id, PipelineContainersProps props)
        : base(scope, id)
    {
        Cluster = new Cluster(this, "Cluster", new ClusterProps
        {
            Vpc = props.Network.Vpc,
            // Task CPU and memory for the dashboard (ECS/ContainerInsights); billed per metric while tasks run.
            ContainerInsights = true,
        });

        Validator = AddTask("Validator", ValidatorContainerName, "validator.Dockerfile", props,
            cpu: 512, memoryMiB: 1024, environment: new Dictionary<string, string>());
        KpiJob = AddTask("KpiJob", KpiJobContainerName, "kpi-job.Dockerfile", props,
            cpu: 1024, memoryMiB: 2048, environment: props.Kpis.EnvironmentVariables);

        // Each stage reads any stage's output (a listed file is looked up raw → validated → processed),
        // but writes and deletes only where it moves files to and from.
        props.Lake.GrantRead(Validator.TaskRole, "raw/", "batches/", "validated/", "invalid/", "processed/");
        props.Lake.GrantWrite(Validator.TaskRole, "validated/", "invalid/", "logs/validation/");
        props.Lake.GrantDelete(Validator.TaskRole, "raw/orders/", "raw/order_items/");

        props.Lake.GrantRead(KpiJob.TaskRole, "raw/", "batches/", "validated/", "processed/", "curated/");
        props.Lake.GrantWrite(KpiJob.TaskRole, "processed/", "curated/", "logs/transformation/");
        // curated/: a re-run removes its lines from dates its batch no longer touches.
        props.Lake.GrantDelete(KpiJob.TaskRole, "validated/orders/", "validated/order_items/", "curated/order_lines/");
        props.Kpis.GrantWrite(KpiJob.TaskRole);
    }

    public ICluster Cluster { get; }

    public FargateTaskDefinition Validator { get; }

    public FargateTaskDefinition KpiJob { get; }

    /// <summary>
    /// What a caller of RunTask (the state machine) needs: run the two task definitions on this
    /// cluster, watch and stop the tasks it started, and pass the tasks' roles.
    /// </summary>
    public void GrantRun(IGrantable grantee)
    {
        var onCluster = new Dictionary<string, object>
        {
            ["ArnEquals"] = new Dictionary<string, object> { ["ecs:cluster"] = Cluster.ClusterArn },
        };
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["ecs:RunTask"],
            Resources = [Validator.TaskDefinitionArn, KpiJob.TaskDefinitionArn],
            Conditions = onCluster,
        }));
        // AWS's generated policy for runTask.sync uses "*" here because the task id is unknown in
        // advance; the task ARN format is task/<cluster>/<id>, so the cluster part can still be pinned.
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["ecs:DescribeTasks", "ecs:StopTask"],
            Resources = [Stack.Of(this).FormatArn(new ArnComponents
            {
                Service = "ecs",
                Resource = "task",
                ResourceName = $"{Cluster.ClusterName}/*",
                ArnFormat = ArnFormat.SLASH_RESOURCE_NAME,
            })],
            Conditions = onCluster,
        }));
        foreach (var task in new[] { Validator, KpiJob })
        {
            task.TaskRole.GrantPassRole(grantee.GrantPrincipal);
            task.ObtainExecutionRole().GrantPassRole(grantee.GrantPrincipal);
        }
    }

    private FargateTaskDefinition AddTask(
        string id, string containerName, string dockerfile, PipelineContainersProps props,
        int cpu, int memoryMiB, IDictionary<string, string> environment)
    {
        var task = new FargateTaskDefinition(this, id, new FargateTaskDefinitionProps
        {
            Cpu = cpu,
            MemoryLimitMiB = memoryMiB,
            // Graviton: ~20% cheaper per vCPU-second; the images are portable IL on an arm64 runtime image.
            RuntimePlatform = new RuntimePlatform
            {
                CpuArchitecture = CpuArchitecture.ARM64,
                OperatingSystemFamily = OperatingSystemFamily.LINUX,
            },
        });

        var logGroup = new LogGroup(this, $"{id}Logs", new LogGroupProps { Retention = props.LogRetention });

        var container = task.AddContainer(containerName, new ContainerDefinitionOptions
        {
            ContainerName = containerName,
            Image = ContainerImage.FromAsset(props.Layout.Root, new AssetImageProps
            {
                File = RepositoryLayout.DockerfileRelativePath(dockerfile),
                Exclude = [.. BuildContextExclusions],
                IgnoreMode = IgnoreMode.DOCKER,
                Platform = Platform_.LINUX_ARM64,
            }),
            Logging = LogDriver.AwsLogs(new AwsLogDriverProps { LogGroup = logGroup, StreamPrefix = containerName }),
            Environment = new Dictionary<string, string>(environment) { ["AWS_REGION"] = Aws.REGION },
            Essential = true,
            // The processes write only to S3, DynamoDB and stdout; /tmp is the one writable path.
            ReadonlyRootFilesystem = true,
        });
        task.AddVolume(new Amazon.CDK.AWS.ECS.Volume { Name = "tmp" });
        container.AddMountPoints(new MountPoint { SourceVolume = "tmp", ContainerPath = "/tmp", ReadOnly = false });
        return task;
    }
}
