using System.Text.RegularExpressions;
using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>
/// PipelineStateMachine. DefinitionBody.FromFile uploads the checked-in file as an asset and
/// CloudFormation fills the placeholders in from DefinitionSubstitutions at deploy time, so the
/// template has a DefinitionS3Location rather than a DefinitionString: the tests pin that the
/// asset is the file unchanged and that every placeholder in it has a substitution.
/// </summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed partial class PipelineStateMachineTests(SynthesizedStack sut)
{
    [Fact]
    public void DefinitionAsset_Synthesized_IsTheCheckedInFileUnchanged()
    {
        var key = (string)StateMachine().Properties["DefinitionS3Location"]!["Key"]!;

        Assert.Null(StateMachine().Properties["DefinitionString"]);
        Assert.Equal(File.ReadAllText(sut.Layout.StateMachineDefinition), File.ReadAllText(sut.StagedAsset(key)));
    }

    [Fact]
    public void Substitutions_ForEveryPlaceholderInTheFile_AreDefined()
    {
        var substitutions = Substitutions();

        var missing = PlaceholdersInDefinition().Where(name => !substitutions.ContainsKey(name));

        Assert.Empty(missing);
    }

    [Fact]
    public void Substitutions_ForEveryContractPlaceholder_AreDefined() =>
        Assert.Equal(PipelineStateMachine.PlaceholderNames.Order(), Substitutions().Keys.Order());

    [Fact]
    public void Substitutions_Synthesized_AreCloudFormationReferencesNotLiterals() =>
        Assert.All(Substitutions(), pair =>
            Assert.True(TemplateJson.ReferencedLogicalId(pair.Value) is not null, $"{pair.Key} is {pair.Value.ToJsonString()}"));

    [Theory]
    [InlineData("ClusterArn", "AWS::ECS::Cluster")]
    [InlineData("ValidatorTaskDefinitionArn", "AWS::ECS::TaskDefinition")]
    [InlineData("KpiJobTaskDefinitionArn", "AWS::ECS::TaskDefinition")]
    [InlineData("SubnetA", "AWS::EC2::Subnet")]
    [InlineData("SubnetB", "AWS::EC2::Subnet")]
    [InlineData("SecurityGroupId", "AWS::EC2::SecurityGroup")]
    [InlineData("SuccessTopicArn", "AWS::SNS::Topic")]
    [InlineData("FailureTopicArn", "AWS::SNS::Topic")]
    [InlineData("AcquireLockFunctionArn", "AWS::Lambda::Function")]
    [InlineData("ReleaseLockFunctionArn", "AWS::Lambda::Function")]
    public void Substitution_ForPlaceholder_ReferencesAResourceOfTheRightType(string placeholder, string resourceType)
    {
        var logicalId = TemplateJson.ReferencedLogicalId(Substitutions()[placeholder])!;

        Assert.Equal(resourceType, sut.Json.Resource(logicalId).Type);
    }

    [Theory]
    [InlineData("ValidatorTaskDefinitionArn", PipelineContainers.ValidatorContainerName)]
    [InlineData("KpiJobTaskDefinitionArn", PipelineContainers.KpiJobContainerName)]
    public void TaskDefinitionSubstitution_ForEachStage_RunsTheNamedContainer(string placeholder, string containerName)
    {
        var task = sut.Json.Resource(TemplateJson.ReferencedLogicalId(Substitutions()[placeholder])!);

        Assert.Equal(containerName, (string?)task.Properties["ContainerDefinitions"]![0]!["Name"]);
    }

    [Fact]
    public void Substitutions_ForTheTwoTopics_AreSuccessAndFailureInThatOrder()
    {
        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.SuccessTopicArn).LogicalId,
            TemplateJson.ReferencedLogicalId(Substitutions()["SuccessTopicArn"]));
        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.FailureTopicArn).LogicalId,
            TemplateJson.ReferencedLogicalId(Substitutions()["FailureTopicArn"]));
    }

    [Fact]
    public void Substitutions_ForTheLockFunctions_ReferenceTheirFunctions()
    {
        Assert.Equal(PipelineFunctions.AcquireLockName, FunctionNameOf("AcquireLockFunctionArn"));
        Assert.Equal(PipelineFunctions.ReleaseLockName, FunctionNameOf("ReleaseLockFunctionArn"));
    }

    [Fact]
    public void StateMachine_Synthesized_LogsEveryEventToAGroupWithRetention()
    {
        var logging = StateMachine().Properties["LoggingConfiguration"]!;
        var group = sut.Json.Resource(TemplateJson.ReferencedLogicalId(logging["Destinations"]![0]!["CloudWatchLogsLogGroup"]!["LogGroupArn"]!)!);

        Assert.Equal("ALL", (string?)logging["Level"]);
        Assert.NotNull(group.Properties["RetentionInDays"]);
    }

    [Fact]
    public void StateMachineRole_Synthesized_RunsOnlyThePipelineTaskDefinitionsOnItsCluster()
    {
        var runTask = Assert.Single(RoleStatements(), statement => statement.Actions.Contains("ecs:RunTask"));

        Assert.Equal(["ecs:RunTask"], runTask.Actions);
        Assert.Equal(
            new[] { Substitutions()["KpiJobTaskDefinitionArn"], Substitutions()["ValidatorTaskDefinitionArn"] }.Select(TemplateJson.ReferencedLogicalId).Order(),
            runTask.Resources.Select(TemplateJson.ReferencedLogicalId).Order());
        Assert.Equal(TemplateJson.ReferencedLogicalId(Substitutions()["ClusterArn"]),
            TemplateJson.ReferencedLogicalId(runTask.Statement["Condition"]!["ArnEquals"]!["ecs:cluster"]!));
    }

    [Fact]
    public void StateMachineRole_Synthesized_PassesExactlyTheTaskAndExecutionRoles()
    {
        var expected = sut.Json.Resources("AWS::ECS::TaskDefinition")
            .SelectMany(task => new[] { task.Properties["TaskRoleArn"]!, task.Properties["ExecutionRoleArn"]! })
            .Select(TemplateJson.ReferencedLogicalId).Order();

        var passed = RoleStatements().Where(statement => statement.Actions.Contains("iam:PassRole"))
            .SelectMany(statement => statement.Resources.Select(TemplateJson.ReferencedLogicalId)).Order();

        Assert.Equal(expected, passed);
    }

    [Theory]
    [InlineData("sns:Publish", "SuccessTopicArn", "FailureTopicArn")]
    [InlineData("lambda:InvokeFunction", "AcquireLockFunctionArn", "ReleaseLockFunctionArn")]
    public void StateMachineRole_Synthesized_GrantsActionOnExactlyTheSubstitutedResources(string action, string first, string second)
    {
        var granted = RoleStatements().Where(statement => statement.Actions.Contains(action))
            .SelectMany(statement => statement.Resources.SelectMany(TemplateJson.ReferencedLogicalIds)).Distinct().Order();

        Assert.Equal(new[] { first, second }.Select(name => TemplateJson.ReferencedLogicalId(Substitutions()[name])).Order(), granted);
    }

    [Fact]
    public void StateMachineRole_Synthesized_ManagesOnlyTheEcsSyncEventsRule()
    {
        var events = Assert.Single(RoleStatements(), statement => statement.Actions.Any(action => action.StartsWith("events:", StringComparison.Ordinal)));

        Assert.Equal(["events:PutTargets", "events:PutRule", "events:DescribeRule"], events.Actions);
        var joinedParts = Assert.Single(events.Resources)["Fn::Join"]![1]!.AsArray();
        Assert.Equal(":rule/StepFunctionsGetEventsForECSTaskRule", (string?)joinedParts[^1]);
    }

    private TemplateResource StateMachine() => sut.Json.ResourceOfOutput(OutputNames.StateMachineArn);

    private Dictionary<string, System.Text.Json.Nodes.JsonNode> Substitutions() =>
        StateMachine().Properties["DefinitionSubstitutions"]!.AsObject().ToDictionary(pair => pair.Key, pair => pair.Value!);

    private IEnumerable<PolicyStatementNode> RoleStatements() =>
        sut.Json.StatementsOfRole(TemplateJson.ReferencedLogicalId(StateMachine().Properties["RoleArn"]!)!);

    private string? FunctionNameOf(string placeholder) =>
        (string?)sut.Json.Resource(TemplateJson.ReferencedLogicalId(Substitutions()[placeholder])!).Properties["Environment"]?["Variables"]?[PipelineFunctions.FunctionVariable];

    private IEnumerable<string> PlaceholdersInDefinition() =>
        Placeholder().Matches(File.ReadAllText(sut.Layout.StateMachineDefinition)).Select(match => match.Groups["name"].Value).Distinct();

    // CloudFormation's ${Name}; ${AWS::Region}-style pseudo parameters would resolve without a substitution.
    [GeneratedRegex(@"\$\{(?<name>[A-Za-z0-9_]+)\}")]
    private static partial Regex Placeholder();
}
