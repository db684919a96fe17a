using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>PipelineFunctions: one executable on dotnet10, five functions told apart by KPI_FUNCTION.</summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed class PipelineFunctionsTests(SynthesizedStack sut)
{
    private static string[] AllNames { get; } =
    [
        PipelineFunctions.AggregatorName,
        PipelineFunctions.SweeperName,
        PipelineFunctions.AcquireLockName,
        PipelineFunctions.ReleaseLockName,
        PipelineFunctions.DashboardApiName,
    ];

    public static TheoryData<string> Names => new(AllNames);

    [Theory]
    [MemberData(nameof(Names))]
    public void Function_ForEachName_IsTheExecutableAssemblyOnDotnet10Arm64WithActiveTracing(string name)
    {
        var function = sut.Json.Function(name);

        Assert.Equal("KpiPipeline.Lambda", (string?)function.Properties["Handler"]);
        Assert.Equal("dotnet10", (string?)function.Properties["Runtime"]);
        Assert.Equal(["arm64"], TemplateJson.Strings(function.Properties["Architectures"]));
        Assert.Equal("Active", (string?)function.Properties["TracingConfig"]?["Mode"]);
    }

    [Theory]
    [InlineData(PipelineFunctions.AggregatorName)]
    [InlineData(PipelineFunctions.SweeperName)]
    public void BatchFunction_Synthesized_GetsTrackerTableAndStateMachine(string name)
    {
        var environment = sut.Json.Function(name).Properties["Environment"]!["Variables"]!;

        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.TrackerTableName).LogicalId,
            TemplateJson.ReferencedLogicalId(environment["TRACKER_TABLE"]!));
        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.StateMachineArn).LogicalId,
            TemplateJson.ReferencedLogicalId(environment["STATE_MACHINE_ARN"]!));
    }

    [Fact]
    public void Sweeper_Synthesized_GetsTheStalePeriod() =>
        Assert.Equal("120", (string?)sut.Json.Function(PipelineFunctions.SweeperName).Properties["Environment"]!["Variables"]!["STALE_BATCH_AFTER_MINUTES"]);

    [Theory]
    [InlineData(PipelineFunctions.AggregatorName, 30)]
    [InlineData(PipelineFunctions.SweeperName, 120)]
    public void BatchFunction_Synthesized_ItsInvocationBudgetIsItsTimeout(string name, int timeout)
    {
        var function = sut.Json.Function(name);

        Assert.Equal(timeout, (int?)function.Properties["Timeout"]);
        Assert.Equal(timeout.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)function.Properties["Environment"]!["Variables"]!["INVOCATION_BUDGET_SECONDS"]);
    }

    [Theory]
    [InlineData(PipelineFunctions.AcquireLockName)]
    [InlineData(PipelineFunctions.ReleaseLockName)]
    public void LockFunction_Synthesized_GetsOnlyItsNameAndTheLockTable(string name)
    {
        var environment = sut.Json.Function(name).Properties["Environment"]!["Variables"]!.AsObject();

        Assert.Equal(["KPI_FUNCTION", "LOCK_TABLE"], environment.Select(pair => pair.Key).Order());
        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.LockTableName).LogicalId,
            TemplateJson.ReferencedLogicalId(environment["LOCK_TABLE"]!));
    }

    [Theory]
    [InlineData(PipelineFunctions.AggregatorName, OutputNames.DeadLetterQueueUrl)]
    [InlineData(PipelineFunctions.SweeperName, OutputNames.SweeperDeadLetterQueueUrl)]
    public void AsyncInvocations_FailingAfterTwoRetries_GoToTheFunctionsOnFailureQueue(string name, string queueOutput)
    {
        var function = sut.Json.Function(name).LogicalId;
        var queue = sut.Json.ResourceOfOutput(queueOutput);

        var config = sut.Json.Resources("AWS::Lambda::EventInvokeConfig")
            .Single(candidate => TemplateJson.ReferencedLogicalId(candidate.Properties["FunctionName"]!) == function);
        Assert.Equal(2, (int?)config.Properties["MaximumRetryAttempts"]);
        Assert.Equal(queue.LogicalId, TemplateJson.ReferencedLogicalId(config.Properties["DestinationConfig"]!["OnFailure"]!["Destination"]!));
        Assert.Equal("AWS::SQS::Queue", queue.Type);
    }

    [Fact]
    public void Functions_Synthesized_UseTheOnFailureDestinationNotTheLegacyDeadLetterConfig() =>
        Assert.All(AllNames, name => Assert.Null(sut.Json.Function(name).Properties["DeadLetterConfig"]));

    [Fact]
    public void DeadLetterQueues_Synthesized_AreEncryptedAndKeepMessagesTwoWeeks() =>
        Assert.All([OutputNames.DeadLetterQueueUrl, OutputNames.SweeperDeadLetterQueueUrl], output =>
        {
            var queue = sut.Json.ResourceOfOutput(output);
            Assert.Equal(true, (bool?)queue.Properties["SqsManagedSseEnabled"]);
            Assert.Equal(14 * 24 * 3600, (int?)queue.Properties["MessageRetentionPeriod"]);
        });

    [Fact]
    public void Functions_Synthesized_ShareOneCodeAsset()
    {
        var keys = AllNames.Select(name => sut.Json.Function(name).Properties["Code"]!["S3Key"]!.ToJsonString());

        Assert.Single(keys.Distinct());
    }

    [Fact]
    public void SweepSchedule_Synthesized_InvokesTheSweeperOnARateWithRetriesAndADeadLetterQueue()
    {
        var sweeper = sut.Json.Function(PipelineFunctions.SweeperName).LogicalId;

        var rule = sut.Json.Resources("AWS::Events::Rule").Single(candidate =>
            candidate.Properties["Targets"]!.AsArray().Any(target => TemplateJson.ReferencedLogicalId(target!["Arn"]!) == sweeper));
        Assert.Equal("rate(15 minutes)", (string?)rule.Properties["ScheduleExpression"]);
        var target = rule.Properties["Targets"]![0]!;
        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.SweeperDeadLetterQueueUrl).LogicalId,
            TemplateJson.ReferencedLogicalId(target["DeadLetterConfig"]!["Arn"]!));
        Assert.Equal((2, 900), ((int?)target["RetryPolicy"]!["MaximumRetryAttempts"], (int?)target["RetryPolicy"]!["MaximumEventAgeInSeconds"]));
    }

    [Fact]
    public void SweeperDeadLetterQueue_Policy_LetsOnlyTheScheduleRuleSend()
    {
        var queue = sut.Json.ResourceOfOutput(OutputNames.SweeperDeadLetterQueueUrl).LogicalId;
        var rule = sut.Json.Resources("AWS::Events::Rule").Single().LogicalId;

        var policy = sut.Json.Resources("AWS::SQS::QueuePolicy")
            .Single(candidate => candidate.Properties["Queues"]!.AsArray().Any(q => TemplateJson.ReferencedLogicalId(q!) == queue));
        var allow = policy.Properties["PolicyDocument"]!["Statement"]!.AsArray().Single(statement => (string?)statement!["Effect"] == "Allow")!;
        Assert.Equal("events.amazonaws.com", (string?)allow["Principal"]!["Service"]);
        Assert.Equal(rule, TemplateJson.ReferencedLogicalId(allow["Condition"]!["ArnEquals"]!["aws:SourceArn"]!));
    }
}
