using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>Least privilege across the whole template, including the roles CDK creates for its own handlers.</summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed class IamPolicyTests(SynthesizedStack sut)
{
    /// <summary>
    /// The only actions allowed on Resource "*", each because AWS (or CDK's own handler) leaves no
    /// narrower choice. docs/deployment.md lists the same set with the reasons.
    /// </summary>
    internal static HashSet<string> ActionsThatRequireWildcardResource { get; } =
    [
        // Registry login: the API has no resource; the pulls themselves are scoped to the asset repository.
        "ecr:GetAuthorizationToken",
        // CDK 2.160's singleton BucketNotificationsHandler grants itself this on "*" and takes no override.
        "s3:PutBucketNotification",
        // Step Functions logging uses CloudWatch Logs vended delivery, which supports no resource-level permissions.
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
        // X-Ray's trace and sampling calls take no resource (functions with active tracing, the traced state machine).
        "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
    ];

    private static string[] ResourcePolicyTypes { get; } =
        ["AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"];

    [Fact]
    public void IdentityPolicies_Synthesized_ContainStatementsToCheck() =>
        Assert.True(sut.Json.IdentityPolicyStatements().Count() > 20, "the policy walk found (almost) nothing: is it still reading the template right?");

    [Fact]
    public void AllowStatements_InEveryIdentityPolicy_HaveNoWildcardAction()
    {
        var offending = sut.Json.IdentityPolicyStatements()
            .Where(statement => statement.IsAllow && statement.Actions.Any(action => action.Contains('*', StringComparison.Ordinal)));

        Assert.Empty(offending.Select(statement => statement.ToString()));
    }

    [Fact]
    public void AllowStatements_InEveryResourcePolicy_HaveNoWildcardAction()
    {
        var offending = ResourcePolicyTypes.SelectMany(sut.Json.Resources)
            .SelectMany(policy => policy.Properties["PolicyDocument"]!["Statement"]!.AsArray()
                .Select(statement => new PolicyStatementNode(policy.LogicalId, statement!.AsObject())))
            .Where(statement => statement.IsAllow && statement.Actions.Any(action => action.Contains('*', StringComparison.Ordinal)));

        Assert.Empty(offending.Select(statement => statement.ToString()));
    }

    [Fact]
    public void AllowStatements_InEveryIdentityPolicy_UseNoNotActionOrNotResource()
    {
        var offending = sut.Json.IdentityPolicyStatements()
            .Where(statement => statement.IsAllow && (statement.Statement["NotAction"] is not null || statement.Statement["NotResource"] is not null));

        Assert.Empty(offending.Select(statement => statement.ToString()));
    }

    [Fact]
    public void WildcardResources_InEveryIdentityPolicy_OnlyForActionsThatRequireThem()
    {
        var offending = sut.Json.IdentityPolicyStatements()
            .Where(statement => statement.IsAllow
                && statement.Resources.Any(resource => resource is System.Text.Json.Nodes.JsonValue value && (string?)value == "*")
                && !statement.Actions.All(ActionsThatRequireWildcardResource.Contains));

        Assert.Empty(offending.Select(statement => statement.ToString()));
    }

    [Fact]
    public void Roles_Synthesized_HaveNoAdministratorOrFullAccessManagedPolicies()
    {
        var managed = sut.Json.Resources("AWS::IAM::Role")
            .SelectMany(role => (role.Properties["ManagedPolicyArns"]?.AsArray() ?? []).Select(arn => arn!.ToJsonString()));

        // Only CDK's own deploy-time handlers use AWS's basic execution policy; nothing broader.
        Assert.All(managed, arn => Assert.Contains("service-role/AWSLambdaBasicExecutionRole", arn, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(PipelineFunctions.AggregatorName)]
    [InlineData(PipelineFunctions.AcquireLockName)]
    public void PipelineFunctionRoles_Synthesized_UseNoManagedPolicy(string handler)
    {
        var function = sut.Json.Function(handler);
        var role = sut.Json.Resource(TemplateJson.ReferencedLogicalId(function.Properties["Role"]!)!);

        Assert.Null(role.Properties["ManagedPolicyArns"]);
    }

    [Fact]
    public void BatchRole_Synthesized_WritesOnlyBatchManifestsInTheLake()
    {
        var aggregator = sut.Json.Function(PipelineFunctions.AggregatorName);
        var statements = sut.Json.StatementsOfRole(TemplateJson.ReferencedLogicalId(aggregator.Properties["Role"]!)!);

        var put = Assert.Single(statements, statement => statement.Actions.Contains("s3:PutObject"));
        var joinedParts = Assert.Single(put.Resources)["Fn::Join"]![1]!.AsArray();
        Assert.Equal("/batches/*", (string?)joinedParts[^1]);
        Assert.DoesNotContain(statements, statement => statement.Actions.Contains("s3:DeleteObject"));
    }
}
