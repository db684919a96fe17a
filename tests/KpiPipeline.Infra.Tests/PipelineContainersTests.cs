using System.Text.Json.Nodes;
using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>PipelineContainers: the two task definitions, their images and what the image build would see.</summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed class PipelineContainersTests(SynthesizedStack sut)
{
    public static TheoryData<string, string> Images => new()
    {
        { PipelineContainers.ValidatorContainerName, "docker/validator.Dockerfile" },
        { PipelineContainers.KpiJobContainerName, "docker/kpi-job.Dockerfile" },
    };

    [Fact]
    public void TaskDefinitions_Synthesized_RunExactlyTheContractContainers() =>
        Assert.Equal(
            [PipelineContainers.KpiJobContainerName, PipelineContainers.ValidatorContainerName],
            sut.Json.Resources("AWS::ECS::TaskDefinition").Select(task => (string)Container(task)["Name"]!).Order());

    [Fact]
    public void StateMachineOverrides_InTheDefinitionFile_NameContainersThatExist()
    {
        var containers = sut.Json.Resources("AWS::ECS::TaskDefinition").Select(task => (string)Container(task)["Name"]!);

        Assert.Subset(containers.ToHashSet(), StateMachineDefinition.ContainerOverrideNames(sut.Layout.StateMachineDefinition).ToHashSet());
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Image_ForEachContainer_IsBuiltFromItsDockerfileForArm64(string containerName, string dockerfile)
    {
        var source = ImageAssetSource(containerName);

        Assert.Equal(dockerfile, (string?)source["dockerFile"]);
        Assert.Equal("linux/arm64", (string?)source["platform"]);
        Assert.Equal("ARM64", (string?)Task(containerName).Properties["RuntimePlatform"]!["CpuArchitecture"]);
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void BuildContext_ForEachImage_HoldsEveryCopySourceAndTheDockerfile(string containerName, string dockerfile)
    {
        var context = sut.StagedAsset(ImageAssetHash(containerName));
        var copySources = Dockerfile.Read(Path.Combine(sut.Layout.Root, dockerfile)).ContextCopySources;

        var missing = copySources.Append(dockerfile).Where(source =>
            !File.Exists(Path.Combine(context, source)) && !Directory.Exists(Path.Combine(context, source.TrimEnd('/'))));

        Assert.Empty(missing);
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void BuildContext_ForEachImage_TakesOnlyTheGeneratorFromSamples(string containerName, string dockerfile)
    {
        _ = dockerfile;
        var context = sut.StagedAsset(ImageAssetHash(containerName));

        var samples = Directory.EnumerateFileSystemEntries(Path.Combine(context, "samples"))
            .Select(entry => Path.GetRelativePath(context, entry).Replace('\\', '/'));

        Assert.Equal(["samples/generator"], samples);
        Assert.True(File.Exists(Path.Combine(context, "samples", "generator", "KpiPipeline.Samples.csproj")));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void BuildContext_ForEachImage_LeavesOutBuildOutputsTestsAndGit(string containerName, string dockerfile)
    {
        _ = dockerfile;
        var context = sut.StagedAsset(ImageAssetHash(containerName));

        var entries = Directory.EnumerateFileSystemEntries(context, "*", SearchOption.AllDirectories)
            .Select(entry => Path.GetRelativePath(context, entry).Replace('\\', '/'))
            .ToList();

        Assert.DoesNotContain(entries, entry => entry.Split('/').Any(part => part is "bin" or "obj" or "node_modules" or "cdk.out" or "TestResults" or ".git"));
        Assert.DoesNotContain(entries, entry => entry.StartsWith("tests/", StringComparison.Ordinal) || entry.StartsWith("infra/", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Container_ForEachTask_HasReadOnlyRootAndWritableTmp(string containerName, string dockerfile)
    {
        _ = dockerfile;
        var container = Container(Task(containerName));

        Assert.True((bool?)container["ReadonlyRootFilesystem"]);
        Assert.Contains(container["MountPoints"]!.AsArray(), mount => (string?)mount!["ContainerPath"] == "/tmp" && (bool?)mount["ReadOnly"] == false);
    }

    [Fact]
    public void KpiJob_Synthesized_GetsBothKpiTableNames()
    {
        var environment = Container(Task(PipelineContainers.KpiJobContainerName))["Environment"]!.AsArray()
            .ToDictionary(variable => (string)variable!["Name"]!, variable => variable!["Value"]!);

        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.DailyKpisTableName).LogicalId, TemplateJson.ReferencedLogicalId(environment["DAILY_KPIS_TABLE"]));
        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.CategoryKpisTableName).LogicalId, TemplateJson.ReferencedLogicalId(environment["CATEGORY_KPIS_TABLE"]));
    }

    [Fact]
    public void Network_Synthesized_HasNoNatGateway() =>
        sut.Template.ResourceCountIs("AWS::EC2::NatGateway", 0);

    [Fact]
    public void TaskSecurityGroup_Synthesized_AllowsNoInboundAndOnlyHttpsOut()
    {
        var substitution = sut.Json.ResourceOfOutput(OutputNames.StateMachineArn).Properties["DefinitionSubstitutions"]!["SecurityGroupId"]!;
        var group = sut.Json.Resource(TemplateJson.ReferencedLogicalId(substitution)!);

        Assert.Null(group.Properties["SecurityGroupIngress"]);
        var egress = Assert.Single(group.Properties["SecurityGroupEgress"]!.AsArray())!;
        Assert.Equal("tcp", (string?)egress["IpProtocol"]);
        Assert.Equal(443, (int?)egress["FromPort"]);
        Assert.Equal(443, (int?)egress["ToPort"]);
        Assert.Empty(sut.Json.Resources("AWS::EC2::SecurityGroupIngress"));
    }

    [Fact]
    public void Network_Synthesized_HasFreeGatewayEndpointsForS3AndDynamoDb()
    {
        var services = sut.Json.Resources("AWS::EC2::VPCEndpoint")
            .Select(endpoint => endpoint.Properties["ServiceName"]!.ToJsonString())
            .ToList();

        Assert.Equal(2, services.Count);
        Assert.Contains(services, service => service.Contains(".s3", StringComparison.Ordinal));
        Assert.Contains(services, service => service.Contains(".dynamodb", StringComparison.Ordinal));
    }

    private TemplateResource Task(string containerName) =>
        sut.Json.Resources("AWS::ECS::TaskDefinition").Single(task => (string?)Container(task)["Name"] == containerName);

    private static JsonNode Container(TemplateResource task) => Assert.Single(task.Properties["ContainerDefinitions"]!.AsArray())!;

    /// <summary>The image tag in the task definition is the asset hash (…container-assets-…:&lt;hash&gt;).</summary>
    private string ImageAssetHash(string containerName)
    {
        var image = (string)Container(Task(containerName))["Image"]!["Fn::Sub"]!;
        return image[(image.LastIndexOf(':') + 1)..];
    }

    private JsonNode ImageAssetSource(string containerName)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(sut.OutputDirectory, $"{SynthesizedStack.StackName}.assets.json")))!;
        return manifest["dockerImages"]![ImageAssetHash(containerName)]!["source"]!;
    }
}
