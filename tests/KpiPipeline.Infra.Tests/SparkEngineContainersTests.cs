using System.Text.Json.Nodes;
using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>
/// `cdk deploy -c kpiEngine=spark`: the KPI job's task gains a Spark Connect sidecar the job waits for and talks to on
/// localhost; everything else stays as in the default deployment (PipelineContainersTests).
/// </summary>
[Collection(SynthesizedSparkStackCollection.Name)]
public sealed class SparkEngineContainersTests(SynthesizedSparkStack fixture)
{
    private readonly SynthesizedStack _sut = fixture.Stack;

    [Fact]
    public void KpiJobTask_Spark_RunsTheJobAndTheSparkConnectSidecar()
    {
        Assert.Equal([PipelineContainers.KpiJobContainerName, PipelineContainers.SparkConnectContainerName], Containers(KpiJobTask()).Select(c => (string)c["Name"]!).Order());
        // The validator's task is the same in both modes.
        var validator = _sut.Json.Resources("AWS::ECS::TaskDefinition").Single(task => task != KpiJobTask());
        Assert.Equal(PipelineContainers.ValidatorContainerName, (string?)Assert.Single(Containers(validator))["Name"]);
    }

    [Fact]
    public void KpiJob_Spark_StartsOnlyOnceTheSidecarIsHealthy()
    {
        var dependency = Assert.Single(Container(PipelineContainers.KpiJobContainerName)["DependsOn"]!.AsArray())!;

        Assert.Equal(PipelineContainers.SparkConnectContainerName, (string?)dependency["ContainerName"]);
        Assert.Equal("HEALTHY", (string?)dependency["Condition"]);
    }

    [Fact]
    public void KpiJob_Spark_IsToldToUseTheSparkEngineAtTheSidecarsPort()
    {
        var environment = Environment(PipelineContainers.KpiJobContainerName);

        Assert.Equal("spark", environment["KPI_ENGINE"]);
        Assert.Equal("sc://localhost:15002", environment["KPI_SPARK_REMOTE"]);
        Assert.Contains("DAILY_KPIS_TABLE", environment.Keys);
    }

    [Fact]
    public void Sidecar_Image_IsBuiltFromTheSparkConnectDockerfileForArm64()
    {
        var source = ImageAssetSource(PipelineContainers.SparkConnectContainerName);

        Assert.Equal("docker/spark-connect.Dockerfile", (string?)source["dockerFile"]);
        Assert.Equal("linux/arm64", (string?)source["platform"]);
    }

    [Fact]
    public void Sidecar_HealthCheck_OpensTheConnectPortAfterAStartPeriod()
    {
        var check = Container(PipelineContainers.SparkConnectContainerName)["HealthCheck"]!;
        var command = check["Command"]!.AsArray().Select(part => (string)part!).ToList();

        Assert.Equal("CMD-SHELL", command[0]);
        Assert.Contains("/dev/tcp/127.0.0.1/15002", command[1], StringComparison.Ordinal);
        Assert.True((int?)check["StartPeriod"] >= 60);
        Assert.True((bool?)Container(PipelineContainers.SparkConnectContainerName)["Essential"]);
    }

    [Fact]
    public void Sidecar_Environment_RunsInTheForegroundWithTheTaskRolesCredentials()
    {
        var environment = Environment(PipelineContainers.SparkConnectContainerName);

        Assert.Equal("1", environment["SPARK_NO_DAEMONIZE"]);
        Assert.Contains("AWS_REGION", environment.Keys);
        // No keys: S3A takes the task role's credentials from the container credentials endpoint.
        Assert.DoesNotContain(environment.Keys, key => key.Contains("SECRET", StringComparison.Ordinal) || key.Contains("ACCESS_KEY", StringComparison.Ordinal));
    }

    [Fact]
    public void Sidecar_RootFilesystem_IsReadOnlyWithAWritableTmpOfItsOwn()
    {
        var sidecar = Container(PipelineContainers.SparkConnectContainerName);
        var mount = Assert.Single(sidecar["MountPoints"]!.AsArray())!;

        Assert.True((bool?)sidecar["ReadonlyRootFilesystem"]);
        Assert.Equal("/tmp", (string?)mount["ContainerPath"]);
        Assert.NotEqual(
            (string?)Assert.Single(Container(PipelineContainers.KpiJobContainerName)["MountPoints"]!.AsArray())!["SourceVolume"],
            (string?)mount["SourceVolume"]);
    }

    [Fact]
    public void Task_Spark_IsAValidFargateSizeThatHoldsBothContainers()
    {
        var task = KpiJobTask();
        var cpu = int.Parse((string)task.Properties["Cpu"]!, System.Globalization.CultureInfo.InvariantCulture);
        var memory = int.Parse((string)task.Properties["Memory"]!, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(4096, cpu);
        // Fargate: 4 vCPU goes with 8 to 30 GiB in 1 GiB steps.
        Assert.InRange(memory, 8192, 30720);
        Assert.Equal(0, memory % 1024);
        Assert.True(Containers(task).Sum(c => (int)c["Cpu"]!) <= cpu);
        Assert.True(Containers(task).Sum(c => (int)c["Memory"]!) <= memory);
        Assert.True((int)Container(PipelineContainers.SparkConnectContainerName)["Memory"]! >= 12288, "Spark's 10 GiB heap needs room for the JVM's own memory");
    }

    private TemplateResource KpiJobTask() =>
        _sut.Json.Resources("AWS::ECS::TaskDefinition").Single(task => Containers(task).Any(c => (string?)c["Name"] == PipelineContainers.KpiJobContainerName));

    private static IReadOnlyList<JsonNode> Containers(TemplateResource task) => [.. task.Properties["ContainerDefinitions"]!.AsArray().Select(c => c!)];

    private JsonNode Container(string name) => Containers(KpiJobTask()).Single(c => (string?)c["Name"] == name);

    private Dictionary<string, string> Environment(string container) =>
        Container(container)["Environment"]!.AsArray().ToDictionary(v => (string)v!["Name"]!, v => v!["Value"]!.ToJsonString().Trim('"'));

    private JsonNode ImageAssetSource(string containerName)
    {
        var image = (string)Container(containerName)["Image"]!["Fn::Sub"]!;
        var hash = image[(image.LastIndexOf(':') + 1)..];
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(_sut.OutputDirectory, $"{SynthesizedStack.StackName}.assets.json")))!;
        return manifest["dockerImages"]![hash]!["source"]!;
    }
}
