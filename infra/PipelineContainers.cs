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

    public KpiEngineMode KpiEngine { get; init; } = KpiEngineMode.InProcess;
}

/// <summary>The ECS cluster and the two Fargate task definitions the state machine runs.</summary>
public sealed class PipelineContainers : Construct
{
    public const string ValidatorContainerName = "validator";
    public const string KpiJobContainerName = "kpi-job";
    public const string SparkConnectContainerName = "spark-connect";

    /// <summary>Spark Connect's plaintext port; the sidecar binds it to the task's loopback only.</summary>
    public const int SparkConnectPort = 15002;

    /// <summary>What the KPI job is told when the sidecar runs (the CLI's defaults for --engine and --spark-remote).</summary>
    public static readonly IReadOnlyDictionary<string, string> SparkEngineEnvironment = new Dictionary<string, string>
    {
        ["KPI_ENGINE"] = "spark",
        ["KPI_SPARK_REMOTE"] = $"sc://localhost:{SparkConnectPort}",
    };

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
        if (props.KpiEngine == KpiEngineMode.Spark)
        {
            // Spark in local mode beside the job: 4 vCPU / 16 GiB (a valid Fargate size), of which the job keeps
            // what it has alone and Spark gets the rest; the JVM heap (spark-defaults.conf) leaves room below its share.
            KpiJob = AddTask("KpiJob", KpiJobContainerName, "kpi-job.Dockerfile", props,
                cpu: 4096, memoryMiB: 16384, environment: new Dictionary<string, string>(props.Kpis.EnvironmentVariables).With(SparkEngineEnvironment),
                containerCpu: 1024, containerMemoryMiB: 2048);
            AddSparkConnectSidecar(KpiJob, props, cpu: 3072, memoryMiB: 14336);
        }
        else
        {
            KpiJob = AddTask("KpiJob", KpiJobContainerName, "kpi-job.Dockerfile", props,
                cpu: 1024, memoryMiB: 2048, environment: props.Kpis.EnvironmentVariables);
        }

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

    /// <summary>
    /// The Spark Connect server (docker/spark-connect.Dockerfile) as a second container of the KPI job's task: same
    /// network namespace (the job reaches it on localhost), same task role (S3A reads curated/ with its credentials),
    /// healthy once its gRPC port accepts connections; the job container starts only then.
    /// </summary>
    private void AddSparkConnectSidecar(FargateTaskDefinition task, PipelineContainersProps props, int cpu, int memoryMiB)
    {
        var logGroup = new LogGroup(this, "SparkConnectLogs", new LogGroupProps { Retention = props.LogRetention });
        var spark = task.AddContainer(SparkConnectContainerName, new ContainerDefinitionOptions
        {
            ContainerName = SparkConnectContainerName,
            Image = ImageOf("spark-connect.Dockerfile", props),
            Cpu = cpu,
            MemoryLimitMiB = memoryMiB,
            Logging = LogDriver.AwsLogs(new AwsLogDriverProps { LogGroup = logGroup, StreamPrefix = SparkConnectContainerName }),
            Environment = new Dictionary<string, string>
            {
                // S3A finds the region and the task role's credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) itself.
                ["AWS_REGION"] = Aws.REGION,
                ["SPARK_NO_DAEMONIZE"] = "1",
            },
            // Ends the task when Spark dies, instead of leaving the job to fail on a refused connection.
            Essential = true,
            ReadonlyRootFilesystem = true,
            HealthCheck = new Amazon.CDK.AWS.ECS.HealthCheck
            {
                // The image has bash; its /dev/tcp opens a TCP connection without curl or netcat.
                Command = ["CMD-SHELL", $"bash -c 'exec 3<>/dev/tcp/127.0.0.1/{SparkConnectPort}' || exit 1"],
                Interval = Duration.Seconds(10),
                Timeout = Duration.Seconds(5),
                Retries = 3,
                // JVM start and the Connect service's own start take a minute or so on a cold task.
                StartPeriod = Duration.Seconds(120),
            },
        });
        task.DefaultContainer!.AddContainerDependencies(new ContainerDependency { Container = spark, Condition = ContainerDependencyCondition.HEALTHY });
        // Spark spills shuffle and writes its logs and work files under /tmp (spark-defaults.conf, SPARK_LOG_DIR): a volume
        // of the task's ephemeral storage of its own, so the root filesystem can stay read-only.
        task.AddVolume(new Amazon.CDK.AWS.ECS.Volume { Name = "spark-tmp" });
        spark.AddMountPoints(new MountPoint { SourceVolume = "spark-tmp", ContainerPath = "/tmp", ReadOnly = false });
    }

    private static ContainerImage ImageOf(string dockerfile, PipelineContainersProps props) =>
        ContainerImage.FromAsset(props.Layout.Root, new AssetImageProps
        {
            File = RepositoryLayout.DockerfileRelativePath(dockerfile),
            Exclude = [.. BuildContextExclusions],
            IgnoreMode = IgnoreMode.DOCKER,
            // The tasks' architecture, Docker's TARGETARCH: the .NET images compile for it on the build machine's own.
            Platform = Platform_.LINUX_ARM64,
        });

    private FargateTaskDefinition AddTask(
        string id, string containerName, string dockerfile, PipelineContainersProps props,
        int cpu, int memoryMiB, IDictionary<string, string> environment, int? containerCpu = null, int? containerMemoryMiB = null)
    {
        var task = new FargateTaskDefinition(this, id, new FargateTaskDefinitionProps
        {
            Cpu = cpu,
            MemoryLimitMiB = memoryMiB,
            // Graviton: ~20% cheaper per vCPU-second; the images hold linux-arm64 Native AOT executables (docker/*.Dockerfile).
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
            Image = ImageOf(dockerfile, props),
            Cpu = containerCpu,
            MemoryLimitMiB = containerMemoryMiB,
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

internal static class DictionaryExtensions
{
    /// <summary>This dictionary with <paramref name="more"/> added (later keys win).</summary>
    public static Dictionary<string, string> With(this Dictionary<string, string> dictionary, IReadOnlyDictionary<string, string> more)
    {
        foreach (var (key, value) in more)
            dictionary[key] = value;
        return dictionary;
    }
}
