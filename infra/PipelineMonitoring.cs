using Amazon.CDK;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.ECS;
using Amazon.CDK.AWS.SQS;
using Constructs;

namespace KpiPipeline.Infra;

public sealed record PipelineMonitoringProps
{
    public required PipelineStateMachine Pipeline { get; init; }

    public required PipelineFunctions Functions { get; init; }

    public required PipelineContainers Containers { get; init; }

    public required BatchTracking Tracking { get; init; }

    public required KpiTables Kpis { get; init; }

    public required Notifications Notifications { get; init; }
}

/// <summary>
/// The pipeline's dashboard and the alarms that page through the failure topic. What each alarm means
/// and what to do about it: docs/deployment.md, "Alarms".
/// </summary>
public sealed class PipelineMonitoring : Construct
{
    private static readonly Duration Period = Duration.Minutes(5);

    public PipelineMonitoring(Construct scope, string id, PipelineMonitoringProps props)
        : base(scope, id)
    {
        var stateMachine = props.Pipeline.StateMachine;
        var functions = props.Functions.All;
        var queues = props.Functions.DeadLetterQueues;

        props.Notifications.AllowAlarms();
        var page = new SnsAction(props.Notifications.Failure);
        var alarms = new List<Alarm>
        {
            AnyOf("ExecutionFailed", stateMachine.MetricFailed(Sum()), "A pipeline execution failed (validation, KPI job or date lock)"),
            AnyOf("ExecutionTimedOut", stateMachine.MetricTimedOut(Sum()), "A pipeline execution timed out"),
        };
        alarms.AddRange(queues.Select(queue => AnyOf($"DeadLetters-{queue.Key}",
            queue.Value.MetricApproximateNumberOfMessagesVisible(new MetricOptions { Statistic = Stats.MAXIMUM, Period = Period }),
            $"The {queue.Key}'s dead-letter queue holds a failed event")));
        alarms.AddRange(functions.Select(function => AnyOf($"Errors-{function.Key}",
            function.Value.MetricErrors(Sum()), $"The {function.Key} function failed an invocation")));
        foreach (var alarm in alarms)
            alarm.AddAlarmAction(page);
        Alarms = alarms;

        Dashboard = new Dashboard(this, "Dashboard", new DashboardProps
        {
            DefaultInterval = Duration.Days(1),
            Widgets =
            [
                [
                    Graph("Executions", 8,
                        [stateMachine.MetricStarted(Sum()), stateMachine.MetricSucceeded(Sum()), stateMachine.MetricFailed(Sum()), stateMachine.MetricTimedOut(Sum())]),
                    Graph("Execution duration (ms)", 8,
                        [stateMachine.MetricTime(Stat(Stats.AVERAGE, "average")), stateMachine.MetricTime(Stat(Stats.MAXIMUM, "maximum"))]),
                    new AlarmStatusWidget(new AlarmStatusWidgetProps { Title = "Alarms", Width = 8, Height = 6, Alarms = [.. alarms] }),
                ],
                [
                    new LogQueryWidget(new LogQueryWidgetProps
                    {
                        Title = "Failures per state",
                        Width = 24,
                        Height = 6,
                        LogGroupNames = [props.Pipeline.LogGroup.LogGroupName],
                        View = LogQueryVisualizationType.TABLE,
                        QueryLines =
                        [
                            "filter type in [\"TaskFailed\", \"TaskTimedOut\", \"FailStateEntered\", \"ExecutionFailed\", \"ExecutionTimedOut\"]",
                            "stats count(*) as failures by type, coalesce(details.name, details.resource, \"-\") as state, details.error as error",
                            "sort failures desc",
                        ],
                    }),
                ],
                [
                    Graph("Lambda errors", 8, [.. functions.Select(f => f.Value.MetricErrors(Labelled(f.Key)))]),
                    Graph("Lambda throttles", 8, [.. functions.Select(f => f.Value.MetricThrottles(Labelled(f.Key)))]),
                    Graph("Lambda duration p99 (ms)", 8, [.. functions.Select(f => f.Value.MetricDuration(new MetricOptions { Statistic = "p99", Label = f.Key, Period = Period }))]),
                ],
                [
                    Graph("Dead-letter queue depth", 8, [.. queues.Select(q => q.Value.MetricApproximateNumberOfMessagesVisible(new MetricOptions { Statistic = Stats.MAXIMUM, Label = q.Key, Period = Period }))]),
                    Graph("ECS task CPU (units)", 8, TaskMetrics(props.Containers, "Cpu")),
                    Graph("ECS task memory (MiB)", 8, TaskMetrics(props.Containers, "Memory")),
                ],
                // One graph per table: each sum names its per-operation metrics by operation alone.
                [
                    Graph("Tracker throttled requests", 6, [Throttles(props.Tracking.Tracker, "tracker", Operation.GET_ITEM, Operation.UPDATE_ITEM, Operation.SCAN)]),
                    Graph("Lock throttled requests", 6, [Throttles(props.Tracking.Locks, "locks", Operation.GET_ITEM, Operation.PUT_ITEM, Operation.UPDATE_ITEM, Operation.DELETE_ITEM)]),
                    Graph("DailyKPIs throttled requests", 6, [Throttles(props.Kpis.Daily, "DailyKPIs", Operation.BATCH_WRITE_ITEM, Operation.PUT_ITEM, Operation.SCAN)]),
                    Graph("CategoryKPIs throttled requests", 6, [Throttles(props.Kpis.Category, "CategoryKPIs", Operation.BATCH_WRITE_ITEM, Operation.PUT_ITEM, Operation.SCAN)]),
                ],
            ],
        });
    }

    public Dashboard Dashboard { get; }

    public IReadOnlyList<Alarm> Alarms { get; }

    /// <summary>In alarm from the first occurrence in a five-minute period; no data is no failure.</summary>
    private Alarm AnyOf(string id, IMetric metric, string description) =>
        new(this, id, new AlarmProps
        {
            Metric = metric,
            Threshold = 1,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            EvaluationPeriods = 1,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
            // The id first: docs/deployment.md's alarm table is keyed by it.
            AlarmDescription = $"{id}: {description}. What to do: docs/deployment.md, \"Alarms\".",
        });

    private static GraphWidget Graph(string title, int width, IMetric[] metrics) =>
        new(new GraphWidgetProps { Title = title, Width = width, Height = 6, Left = metrics });

    private static MetricOptions Sum() => new() { Statistic = Stats.SUM, Period = Period };

    private static MetricOptions Stat(string statistic, string label) => new() { Statistic = statistic, Label = label, Period = Period };

    private static MetricOptions Labelled(string label) => new() { Statistic = Stats.SUM, Label = label, Period = Period };

    /// <summary>Container Insights' per-task-family use and reservation (<c>CpuUtilized</c>, <c>CpuReserved</c>, …).</summary>
    private static IMetric[] TaskMetrics(PipelineContainers containers, string resource) =>
    [
        .. new[] { (PipelineContainers.ValidatorContainerName, containers.Validator), (PipelineContainers.KpiJobContainerName, containers.KpiJob) }
            .SelectMany(task => new[] { "Utilized", "Reserved" }.Select(kind => new Metric(new MetricProps
            {
                Namespace = "ECS/ContainerInsights",
                MetricName = resource + kind,
                DimensionsMap = new Dictionary<string, string>
                {
                    ["ClusterName"] = containers.Cluster.ClusterName,
                    ["TaskDefinitionFamily"] = task.Item2.Family,
                },
                Statistic = Stats.MAXIMUM,
                Label = $"{task.Item1} {kind.ToLowerInvariant()}",
                Period = Duration.Minutes(1),
            }))),
    ];

    private static IMetric Throttles(ITable table, string label, params Operation[] operations) =>
        table.MetricThrottledRequestsForOperations(new OperationsMetricOptions
        {
            Operations = operations,
            Label = label,
            Period = Period,
        });
}
