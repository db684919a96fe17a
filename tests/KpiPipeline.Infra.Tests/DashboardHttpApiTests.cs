using System.Text.Json.Nodes;
using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>The dashboard in AWS: an HTTP API with IAM authorization in front of dashboard-api, which may only read.</summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed class DashboardHttpApiTests(SynthesizedStack sut)
{
    [Fact]
    public void Api_Synthesized_IsOneHttpApiWithIamAuthorizationOnEveryRoute()
    {
        var api = Assert.Single(sut.Json.Resources("AWS::ApiGatewayV2::Api"));
        var routes = sut.Json.Resources("AWS::ApiGatewayV2::Route").ToList();

        Assert.Equal("HTTP", (string?)api.Properties["ProtocolType"]);
        Assert.NotEmpty(routes);
        Assert.All(routes, route => Assert.Equal("AWS_IAM", (string?)route.Properties["AuthorizationType"]));
        Assert.Equal(api.LogicalId, sut.Json.ResourceOfOutput(OutputNames.DashboardApiUrl).LogicalId);
    }

    [Fact]
    public void Integration_Synthesized_IsTheDashboardFunctionWithPayload20()
    {
        var function = sut.Json.Function(PipelineFunctions.DashboardApiName).LogicalId;

        var integration = Assert.Single(sut.Json.Resources("AWS::ApiGatewayV2::Integration"));

        Assert.Equal("AWS_PROXY", (string?)integration.Properties["IntegrationType"]);
        Assert.Equal("2.0", (string?)integration.Properties["PayloadFormatVersion"]);
        Assert.Equal(function, TemplateJson.ReferencedLogicalId(integration.Properties["IntegrationUri"]!));
    }

    [Fact]
    public void DashboardRole_Statements_OnlyGetItemAndQueryTheKpiTablesAndReadReports()
    {
        var statements = DashboardStatements();
        var actions = statements.SelectMany(s => s.Actions).ToHashSet(StringComparer.Ordinal);

        Assert.Subset(new HashSet<string>(StringComparer.Ordinal)
        {
            "dynamodb:GetItem", "dynamodb:Query", "s3:GetObject", "s3:ListBucket",
            "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
        }, actions);
        Assert.Contains("dynamodb:Query", actions);
        Assert.Contains("dynamodb:GetItem", actions);
    }

    [Fact]
    public void DashboardRole_Query_IsOnTheMonthIndexOnly()
    {
        var queried = DashboardStatements().Where(s => s.Actions.Contains("dynamodb:Query")).SelectMany(s => s.Resources).ToList();

        Assert.Equal(2, queried.Count);
        Assert.All(queried, resource => Assert.EndsWith($"/index/{KpiTables.ByMonthIndex}", Text(resource), StringComparison.Ordinal));
    }

    [Fact]
    public void DashboardRole_GetObject_IsOnManifestsReportsAndRejectsOnly()
    {
        var objects = DashboardStatements().Where(s => s.Actions.Contains("s3:GetObject")).SelectMany(s => s.Resources).Select(Text).ToList();

        Assert.Equal(["/batches/*", "/invalid/*", "/logs/transformation/*", "/logs/validation/*"],
            objects.Select(resource => resource[resource.IndexOf('/', StringComparison.Ordinal)..]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DashboardFunction_Environment_NamesTheKpiTablesAndTheBucket()
    {
        var variables = sut.Json.Function(PipelineFunctions.DashboardApiName).Properties["Environment"]!["Variables"]!;

        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.DailyKpisTableName).LogicalId, TemplateJson.ReferencedLogicalId(variables["DAILY_KPIS_TABLE"]!));
        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.CategoryKpisTableName).LogicalId, TemplateJson.ReferencedLogicalId(variables["CATEGORY_KPIS_TABLE"]!));
        Assert.Equal(sut.Json.ResourceOfOutput(OutputNames.BucketName).LogicalId, TemplateJson.ReferencedLogicalId(variables["BUCKET"]!));
    }

    private List<PolicyStatementNode> DashboardStatements()
    {
        var role = TemplateJson.ReferencedLogicalId(sut.Json.Function(PipelineFunctions.DashboardApiName).Properties["Role"]!)!;
        var statements = sut.Json.StatementsOfRole(role).Where(s => s.IsAllow).ToList();
        Assert.NotEmpty(statements);
        return statements;
    }

    /// <summary>A resource's literal text: a string, or the parts of an Fn::Join with references left out.</summary>
    private static string Text(JsonNode resource) => resource switch
    {
        JsonValue value => (string)value!,
        JsonObject o when o["Fn::Join"] is JsonArray join => string.Concat(join[1]!.AsArray().Select(part => part is JsonValue v ? (string)v! : "")),
        _ => resource.ToJsonString(),
    };
}
