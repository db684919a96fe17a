using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.SNS;
using Constructs;

namespace KpiPipeline.Infra;

/// <summary>The topics the state machine reports each batch run's outcome to.</summary>
public sealed class Notifications : Construct
{
    public Notifications(Construct scope, string id)
        : base(scope, id)
    {
        Success = NewTopic("Success", "KPI pipeline: batch succeeded");
        Failure = NewTopic("Failure", "KPI pipeline: batch failed");
    }

    public ITopic Success { get; }

    public ITopic Failure { get; }

    /// <summary>
    /// Lets this account's CloudWatch alarms publish to the failure topic: its resource policy replaces
    /// SNS's default one, so the alarms' service principal has to be named.
    /// </summary>
    public void AllowAlarms()
    {
        var stack = Amazon.CDK.Stack.Of(this);
        Failure.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "CloudWatchAlarmsOfThisAccount",
            Principals = [new ServicePrincipal("cloudwatch.amazonaws.com")],
            Actions = ["sns:Publish"],
            Resources = [Failure.TopicArn],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = stack.Account },
                ["ArnLike"] = new Dictionary<string, object> { ["aws:SourceArn"] = $"arn:{stack.Partition}:cloudwatch:{stack.Region}:{stack.Account}:alarm:*" },
            },
        }));
    }

    /// <summary>sns:Publish on exactly these two topics.</summary>
    public void GrantPublish(IGrantable grantee)
    {
        Success.GrantPublish(grantee);
        Failure.GrantPublish(grantee);
    }

    private Topic NewTopic(string id, string displayName)
    {
        var topic = new Topic(this, id, new TopicProps { DisplayName = displayName });
        // TopicProps.EnforceSSL in CDK 2.160 only acts once something else creates a topic policy,
        // and nothing does here; the statement is added explicitly so the policy always exists.
        topic.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "DenyPublishWithoutTls",
            Effect = Effect.DENY,
            Principals = [new AnyPrincipal()],
            Actions = ["sns:Publish"],
            Resources = [topic.TopicArn],
            Conditions = new Dictionary<string, object>
            {
                ["Bool"] = new Dictionary<string, object> { ["aws:SecureTransport"] = "false" },
            },
        }));
        return topic;
    }
}
