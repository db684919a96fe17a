using Amazon.CDK;
using Constructs;

namespace KpiPipeline.Infra;

/// <summary>
/// The whole pipeline in one stack: lake → aggregator → state machine → validator and KPI job →
/// KPI tables, with notifications. Environment-agnostic (no account or region lookups), so
/// `dotnet run` and `cdk synth` produce the same template without credentials.
/// </summary>
public sealed class KpiPipelineStack : Stack
{
    /// <summary>Every resource carries it, so Cost Explorer can show what the pipeline costs.</summary>
    public const string CostAllocationTag = "project";
    public const string CostAllocationTagValue = "kpi-pipeline";

    public KpiPipelineStack(Construct scope, string id, PipelineSettings settings, IStackProps? props = null)
        : base(scope, id, props)
    {
        // S3 server access logs are delivered under a bucket policy, not the legacy log-delivery ACL,
        // so the log bucket can keep ACLs disabled (owner-enforced) like every bucket here.
        Node.SetContext("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", true);
        TemplateOptions.Description =
            "E-commerce KPI pipeline: S3 lake, Lambda aggregator, Step Functions, Fargate validator and KPI job, DynamoDB KPI tables";
        Amazon.CDK.Tags.Of(this).Add(CostAllocationTag, CostAllocationTagValue);

        var lake = new DataLake(this, "Lake", new DataLakeProps());
        var tracking = new BatchTracking(this, "Tracking");
        var kpis = new KpiTables(this, "Kpis");
        var notifications = new Notifications(this, "Notifications");
        var network = new PipelineNetwork(this, "Network", settings.LogRetention);
        var containers = new PipelineContainers(this, "Containers", new PipelineContainersProps
        {
            Layout = settings.Layout,
            Network = network,
            Lake = lake,
            Kpis = kpis,
            LogRetention = settings.LogRetention,
            KpiEngine = settings.KpiEngine,
        });
        var functions = new PipelineFunctions(this, "Functions", new PipelineFunctionsProps
        {
            CodeDirectory = settings.LambdaCodeDirectory,
            Lake = lake,
            Kpis = kpis,
            Tracking = tracking,
            LogRetention = settings.LogRetention,
            StaleBatchAfterMinutes = settings.StaleBatchAfterMinutes,
            SweepIntervalMinutes = settings.SweepIntervalMinutes,
        });
        var pipeline = new PipelineStateMachine(this, "Pipeline", new PipelineStateMachineProps
        {
            DefinitionPath = settings.Layout.StateMachineDefinition,
            Network = network,
            Containers = containers,
            Functions = functions,
            Notifications = notifications,
            LogRetention = settings.LogRetention,
        });
        functions.StartExecutionsOf(pipeline.StateMachine);
        lake.NotifyOnRawUploads(functions.Aggregator);
        var dashboardApi = new DashboardHttpApi(this, "DashboardApi", new DashboardHttpApiProps { Function = functions.DashboardApi });
        var monitoring = new PipelineMonitoring(this, "Monitoring", new PipelineMonitoringProps
        {
            Pipeline = pipeline,
            Functions = functions,
            Containers = containers,
            Tracking = tracking,
            Kpis = kpis,
            Notifications = notifications,
        });

        Output(OutputNames.BucketName, lake.Bucket.BucketName, "The lake: upload a day's raw/ files here");
        Output(OutputNames.StateMachineArn, pipeline.StateMachine.StateMachineArn, "aws stepfunctions list-executions --state-machine-arn …");
        Output(OutputNames.TrackerTableName, tracking.Tracker.TableName, "TRACKER_TABLE");
        Output(OutputNames.LockTableName, tracking.Locks.TableName, "LOCK_TABLE");
        Output(OutputNames.DailyKpisTableName, kpis.Daily.TableName, "DAILY_KPIS_TABLE");
        Output(OutputNames.CategoryKpisTableName, kpis.Category.TableName, "CATEGORY_KPIS_TABLE");
        Output(OutputNames.SuccessTopicArn, notifications.Success.TopicArn, "Subscribe to hear about finished batches");
        Output(OutputNames.FailureTopicArn, notifications.Failure.TopicArn, "Subscribe to hear about failed batches");
        Output(OutputNames.DeadLetterQueueUrl, functions.DeadLetterQueue.QueueUrl, "S3 events the aggregator could not handle");
        Output(OutputNames.SweeperDeadLetterQueueUrl, functions.SweeperDeadLetterQueue.QueueUrl, "Sweeps that did not run");
        Output(OutputNames.AccessLogBucketName, lake.AccessLogs.BucketName, "The lake's S3 server access logs");
        Output(OutputNames.DashboardApiUrl, dashboardApi.Api.ApiEndpoint, "The KPI dashboard and its API (IAM-signed requests only)");
        Output(OutputNames.DashboardName, monitoring.Dashboard.DashboardName, "CloudWatch dashboard of the pipeline");
    }

    private void Output(string name, string value, string description) =>
        _ = new CfnOutput(this, name, new CfnOutputProps { Value = value, Description = description });
}

/// <summary>The stack's output names, which docs/deployment.md and scripts read.</summary>
public static class OutputNames
{
    public const string BucketName = "BucketName";
    public const string StateMachineArn = "StateMachineArn";
    public const string TrackerTableName = "TrackerTableName";
    public const string LockTableName = "LockTableName";
    public const string DailyKpisTableName = "DailyKpisTableName";
    public const string DashboardApiUrl = "DashboardApiUrl";
    public const string CategoryKpisTableName = "CategoryKpisTableName";
    public const string SuccessTopicArn = "SuccessTopicArn";
    public const string FailureTopicArn = "FailureTopicArn";
    public const string DeadLetterQueueUrl = "DeadLetterQueueUrl";
    public const string SweeperDeadLetterQueueUrl = "SweeperDeadLetterQueueUrl";
    public const string AccessLogBucketName = "AccessLogBucketName";
    public const string DashboardName = "DashboardName";
}
