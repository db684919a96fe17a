using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>Every log the pipeline writes goes to a group of the stack that expires its events.</summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed class LoggingTests(SynthesizedStack sut)
{
    [Fact]
    public void LogGroups_Synthesized_AllHaveRetention()
    {
        var groups = sut.Json.Resources("AWS::Logs::LogGroup").ToList();

        Assert.NotEmpty(groups);
        Assert.All(groups, group => Assert.True((int?)group.Properties["RetentionInDays"] > 0, group.LogicalId));
    }

    [Theory]
    [InlineData(PipelineFunctions.AggregatorName)]
    [InlineData(PipelineFunctions.SweeperName)]
    [InlineData(PipelineFunctions.AcquireLockName)]
    [InlineData(PipelineFunctions.ReleaseLockName)]
    [InlineData(PipelineFunctions.DashboardApiName)]
    public void PipelineFunction_Synthesized_LogsToItsOwnGroupWithRetention(string handler)
    {
        var function = sut.Json.Function(handler);

        var group = sut.Json.Resource(TemplateJson.ReferencedLogicalId(function.Properties["LoggingConfig"]!["LogGroup"]!)!);

        Assert.Equal("AWS::Logs::LogGroup", group.Type);
        Assert.NotNull(group.Properties["RetentionInDays"]);
    }

    [Fact]
    public void PipelineFunctions_Synthesized_EachHaveADistinctGroup()
    {
        var groups = sut.Json.Resources("AWS::Lambda::Function")
            .Select(function => function.Properties["LoggingConfig"]?["LogGroup"])
            .OfType<System.Text.Json.Nodes.JsonNode>()
            .Select(TemplateJson.ReferencedLogicalId)
            .ToList();

        Assert.Equal(5, groups.Count);
        Assert.Equal(groups.Count, groups.Distinct().Count());
    }

    [Fact]
    public void Containers_Synthesized_LogThroughAwslogsToAGroupWithRetention() =>
        Assert.All(sut.Json.Resources("AWS::ECS::TaskDefinition"), task =>
        {
            var logging = task.Properties["ContainerDefinitions"]![0]!["LogConfiguration"]!;
            Assert.Equal("awslogs", (string?)logging["LogDriver"]);
            var group = sut.Json.Resource(TemplateJson.ReferencedLogicalId(logging["Options"]!["awslogs-group"]!)!);
            Assert.NotNull(group.Properties["RetentionInDays"]);
        });
}
