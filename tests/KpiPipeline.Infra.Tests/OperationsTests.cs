using System.Text.Json.Nodes;
using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>
/// What an operator needs from the stack: execution history and traces, network and access logs, task
/// metrics, a dashboard, and alarms on the failure topic for every way a batch can silently go wrong.
/// </summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed class OperationsTests(SynthesizedStack sut)
{
    private static readonly string[] FunctionNames =
        [PipelineFunctions.AggregatorName, PipelineFunctions.SweeperName, PipelineFunctions.AcquireLockName, PipelineFunctions.ReleaseLockName, PipelineFunctions.DashboardApiName];

    [Fact]
    public void StateMachine_Synthesized_LogsEveryEventWithItsDataAndIsTraced()
    {
        var machine = sut.Json.ResourceOfOutput(OutputNames.StateMachineArn).Properties;

        Assert.Equal(("ALL", true), ((string?)machine["LoggingConfiguration"]!["Level"], (bool?)machine["LoggingConfiguration"]!["IncludeExecutionData"]));
        Assert.Equal(true, (bool?)machine["TracingConfiguration"]!["Enabled"]);
    }

    [Fact]
    public void Vpc_Synthesized_LogsAllFlowsToAGroupWithRetention()
    {
        var vpc = sut.Json.Resources("AWS::EC2::VPC").Single().LogicalId;

        var flowLog = sut.Json.Resources("AWS::EC2::FlowLog").Single();
        Assert.Equal((vpc, "VPC", "ALL", "cloud-watch-logs"),
            (TemplateJson.ReferencedLogicalId(flowLog.Properties["ResourceId"]!), (string?)flowLog.Properties["ResourceType"],
             (string?)flowLog.Properties["TrafficType"], (string?)flowLog.Properties["LogDestinationType"]));
        var group = sut.Json.Resource(TemplateJson.ReferencedLogicalId(flowLog.Properties["LogGroupName"]!)!);
        Assert.NotNull(group.Properties["RetentionInDays"]);
    }

    [Fact]
    public void Cluster_Synthesized_HasContainerInsights()
    {
        var settings = sut.Json.Resources("AWS::ECS::Cluster").Single().Properties["ClusterSettings"]!.AsArray();

        Assert.Contains(settings, setting => (string?)setting!["Name"] == "containerInsights" && (string?)setting["Value"] == "enabled");
    }

    [Fact]
    public void Dashboard_Synthesized_ShowsExecutionsFunctionsQueuesTasksAndTables()
    {
        var metrics = DashboardMetrics();

        Assert.Subset(metrics.Select(m => (m.Namespace, m.Name)).ToHashSet(),
            new HashSet<(string, string)>
            {
                ("AWS/States", "ExecutionsStarted"), ("AWS/States", "ExecutionsSucceeded"), ("AWS/States", "ExecutionsFailed"),
                ("AWS/States", "ExecutionsTimedOut"), ("AWS/States", "ExecutionTime"),
                ("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles"), ("AWS/Lambda", "Duration"),
                ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
                ("ECS/ContainerInsights", "CpuUtilized"), ("ECS/ContainerInsights", "MemoryUtilized"),
                ("AWS/DynamoDB", "ThrottledRequests"),
            });
        foreach (var lambdaMetric in new[] { "Errors", "Throttles", "Duration" })
            Assert.Equal(FunctionNames.Select(name => sut.Json.Function(name).LogicalId).Order(), metrics.Where(m => m.Name == lambdaMetric).Select(m => m.Dimension("FunctionName")).Order());
        Assert.Equal([OutputNames.DeadLetterQueueUrl, OutputNames.SweeperDeadLetterQueueUrl],
            [.. metrics.Where(m => m.Name == "ApproximateNumberOfMessagesVisible").Select(m => QueueOutput(m.Dimension("QueueName")))]);
        Assert.Equal(4, metrics.Where(m => m.Name == "ThrottledRequests").Select(m => m.Dimension("TableName")).Distinct().Count());
        Assert.Equal(2, metrics.Where(m => m.Name == "CpuUtilized").Select(m => m.Dimension("TaskDefinitionFamily")).Distinct().Count());
    }

    [Fact]
    public void Dashboard_FailuresPerState_QueriesTheStateMachinesLogGroup()
    {
        var machine = sut.Json.ResourceOfOutput(OutputNames.StateMachineArn);
        var group = TemplateJson.ReferencedLogicalId(machine.Properties["LoggingConfiguration"]!["Destinations"]![0]!["CloudWatchLogsLogGroup"]!["LogGroupArn"]!);

        var query = (string)Widgets().Single(widget => (string?)widget["type"] == "log")["properties"]!["query"]!;

        Assert.StartsWith($"SOURCE '${{{group}}}'", query, StringComparison.Ordinal);
        Assert.Contains("FailStateEntered", query, StringComparison.Ordinal);
        Assert.Contains("TaskFailed", query, StringComparison.Ordinal);
        Assert.Contains("by type, coalesce(details.name", query, StringComparison.Ordinal);
    }

    [Fact]
    public void Alarms_Synthesized_EachPublishesToTheFailureTopicOnTheFirstOccurrence()
    {
        var failureTopic = sut.Json.ResourceOfOutput(OutputNames.FailureTopicArn).LogicalId;

        Assert.All(Alarms(), alarm =>
        {
            Assert.Equal([failureTopic], alarm.Properties["AlarmActions"]!.AsArray().Select(action => TemplateJson.ReferencedLogicalId(action!)));
            Assert.Equal((1.0, "GreaterThanOrEqualToThreshold", 1, "notBreaching"),
                ((double?)alarm.Properties["Threshold"], (string?)alarm.Properties["ComparisonOperator"], (int?)alarm.Properties["EvaluationPeriods"], (string?)alarm.Properties["TreatMissingData"]));
        });
    }

    [Fact]
    public void Alarms_Synthesized_CoverFailedAndTimedOutExecutionsEveryQueueAndEveryFunction()
    {
        var watched = Alarms().Select(alarm => ((string)alarm.Properties["MetricName"]!, WatchedResource(alarm))).ToList();

        var machine = sut.Json.ResourceOfOutput(OutputNames.StateMachineArn).LogicalId;
        var expected = new List<(string, string)> { ("ExecutionsFailed", machine), ("ExecutionsTimedOut", machine) };
        expected.AddRange(new[] { OutputNames.DeadLetterQueueUrl, OutputNames.SweeperDeadLetterQueueUrl }
            .Select(output => ("ApproximateNumberOfMessagesVisible", sut.Json.ResourceOfOutput(output).LogicalId)));
        expected.AddRange(FunctionNames.Select(name => ("Errors", sut.Json.Function(name).LogicalId)));
        Assert.Equal(expected.Order(), watched.Order());
    }

    [Fact]
    public void FailureTopic_Policy_LetsThisAccountsAlarmsPublish()
    {
        var topic = sut.Json.ResourceOfOutput(OutputNames.FailureTopicArn).LogicalId;

        var statements = sut.Json.Resources("AWS::SNS::TopicPolicy")
            .Single(policy => policy.Properties["Topics"]!.AsArray().Any(t => TemplateJson.ReferencedLogicalId(t!) == topic))
            .Properties["PolicyDocument"]!["Statement"]!.AsArray();

        var allow = Assert.Single(statements, statement => (string?)statement!["Effect"] == "Allow")!;
        Assert.Equal(("cloudwatch.amazonaws.com", "sns:Publish"), ((string?)allow["Principal"]!["Service"], (string?)allow["Action"]));
        Assert.Equal("AWS::AccountId", (string?)allow["Condition"]!["StringEquals"]!["aws:SourceAccount"]!["Ref"]);
    }

    private IEnumerable<TemplateResource> Alarms() => sut.Json.Resources("AWS::CloudWatch::Alarm");

    /// <summary>The resource an alarm's one dimension refers to (state machine, queue name, function).</summary>
    private static string WatchedResource(TemplateResource alarm)
    {
        var value = alarm.Properties["Dimensions"]!.AsArray().Single()!["Value"]!;
        return TemplateJson.ReferencedLogicalId(value) ?? throw new InvalidOperationException($"{alarm.LogicalId} watches {value.ToJsonString()}");
    }

    private string QueueOutput(string queueLogicalId) =>
        new[] { OutputNames.DeadLetterQueueUrl, OutputNames.SweeperDeadLetterQueueUrl }
            .Single(output => sut.Json.ResourceOfOutput(output).LogicalId == queueLogicalId);

    private IEnumerable<JsonObject> Widgets() => sut.Json.DashboardBody()["widgets"]!.AsArray().Select(widget => widget!.AsObject());

    /// <summary>Every metric of every graph: [namespace, name, dimension, value, …, {options}?].</summary>
    private List<DashboardMetric> DashboardMetrics() =>
        [.. Widgets()
            .Where(widget => (string?)widget["type"] == "metric")
            .SelectMany(widget => widget["properties"]!["metrics"]!.AsArray())
            .Select(metric => metric!.AsArray())
            .Where(metric => metric[0] is JsonValue)
            .Select(metric => new DashboardMetric(
                (string)metric[0]!, (string)metric[1]!,
                [.. metric.Skip(2).TakeWhile(part => part is JsonValue).Select(part => (string)part!)]))];

    private sealed record DashboardMetric(string Namespace, string Name, IReadOnlyList<string> Dimensions)
    {
        /// <summary>A dimension's value; a reference (<c>${LogicalId}</c>) as the logical id.</summary>
        public string Dimension(string name)
        {
            for (var i = 0; i + 1 < Dimensions.Count; i += 2)
            {
                if (Dimensions[i] == name)
                    return Dimensions[i + 1].TrimStart('$', '{').TrimEnd('}');
            }
            throw new KeyNotFoundException($"{Namespace}/{Name} has no dimension {name}: {string.Join(", ", Dimensions)}");
        }
    }
}
