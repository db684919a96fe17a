using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>PipelineFunctions: the four handlers of docs/architecture.md on the dotnet10 runtime.</summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed class PipelineFunctionsTests(SynthesizedStack sut)
{
    private static string[] AllHandlers { get; } =
    [
        PipelineFunctions.AggregatorHandler,
        PipelineFunctions.SweeperHandler,
        PipelineFunctions.AcquireLockHandler,
        PipelineFunctions.ReleaseLockHandler,
    ];

    public static TheoryData<string> Handlers => new(AllHandlers);

    [Theory]
    [MemberData(nameof(Handlers))]
    public void Function_ForEachHandler_RunsOnDotnet10Arm64(string handler)
    {
        var function = Function(handler);

        Assert.Equal("dotnet10", (string?)function.Properties["Runtime"]);
        Assert.Equal(["arm64"], TemplateJson.Strings(function.Properties["Architectures"]));
    }

    [Theory]
    [InlineData(PipelineFunctions.AggregatorHandler)]
    [InlineData(PipelineFunctions.SweeperHandler)]
    public void BatchFunction_Synthesized_GetsTrackerTableStateMachineAndStaleAfter(string handler)
    {
        var environment = Function(handler).Properties["Environment"]!["Variables"]!;

        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.TrackerTableName).LogicalId,
            TemplateJson.ReferencedLogicalId(environment["TRACKER_TABLE"]!));
        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.StateMachineArn).LogicalId,
            TemplateJson.ReferencedLogicalId(environment["STATE_MACHINE_ARN"]!));
        Assert.Equal("120", (string?)environment["STALE_BATCH_AFTER_MINUTES"]);
    }

    [Theory]
    [InlineData(PipelineFunctions.AggregatorHandler, "25")]
    [InlineData(PipelineFunctions.SweeperHandler, "102")]
    public void BatchFunction_Synthesized_GetsABudgetUnderItsTimeout(string handler, string budget)
    {
        var environment = Function(handler).Properties["Environment"]!["Variables"]!;

        Assert.Equal(budget, (string?)environment["INVOCATION_BUDGET_SECONDS"]);
    }

    [Theory]
    [InlineData(PipelineFunctions.AcquireLockHandler)]
    [InlineData(PipelineFunctions.ReleaseLockHandler)]
    public void LockFunction_Synthesized_GetsOnlyTheLockTableAndItsBudget(string handler)
    {
        var environment = Function(handler).Properties["Environment"]!["Variables"]!.AsObject();

        Assert.Equal(["INVOCATION_BUDGET_SECONDS", "LOCK_TABLE"], environment.Select(pair => pair.Key).Order());
        Assert.Equal("8", (string?)environment["INVOCATION_BUDGET_SECONDS"]);
        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.LockTableName).LogicalId,
            TemplateJson.ReferencedLogicalId(environment["LOCK_TABLE"]!));
    }

    [Fact]
    public void Aggregator_Synthesized_SendsFailedEventsToTheDeadLetterQueue()
    {
        var aggregator = Function(PipelineFunctions.AggregatorHandler);
        var queue = sut.Json.ResourceOfOutput(OutputNames.DeadLetterQueueUrl);

        Assert.Equal(queue.LogicalId, TemplateJson.ReferencedLogicalId(aggregator.Properties["DeadLetterConfig"]!["TargetArn"]!));
        Assert.Equal("AWS::SQS::Queue", queue.Type);
    }

    [Fact]
    public void Functions_Synthesized_ShareOneCodeAsset()
    {
        var keys = AllHandlers.Select(handler => Function(handler).Properties["Code"]!["S3Key"]!.ToJsonString());

        Assert.Single(keys.Distinct());
    }

    [Fact]
    public void SweepSchedule_Synthesized_InvokesTheSweeperOnARate()
    {
        var sweeper = Function(PipelineFunctions.SweeperHandler).LogicalId;

        var rule = sut.Json.Resources("AWS::Events::Rule").Single(candidate =>
            candidate.Properties["Targets"]!.AsArray().Any(target => TemplateJson.ReferencedLogicalId(target!["Arn"]!) == sweeper));
        Assert.StartsWith("rate(", (string?)rule.Properties["ScheduleExpression"], StringComparison.Ordinal);
    }

    private TemplateResource Function(string handler) =>
        sut.Json.Resources("AWS::Lambda::Function").Single(function => (string?)function.Properties["Handler"] == handler);
}
