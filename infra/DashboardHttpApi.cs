using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AwsApigatewayv2Authorizers;
using Amazon.CDK.AwsApigatewayv2Integrations;
using Constructs;
using LambdaFunction = Amazon.CDK.AWS.Lambda.Function;

namespace KpiPipeline.Infra;

public sealed record DashboardHttpApiProps
{
    /// <summary>The Lambda's <c>dashboard-api</c> function (<see cref="PipelineFunctions.DashboardApi"/>).</summary>
    public required LambdaFunction Function { get; init; }
}

/// <summary>
/// The KPI dashboard in AWS: an API Gateway HTTP API whose every route goes to the dashboard-api function, with
/// IAM authorization, so only SigV4-signed requests of principals granted <c>execute-api:Invoke</c> get through
/// (<see cref="GrantInvoke"/>). The page is served by the same API (<c>GET /</c>).
/// </summary>
public sealed class DashboardHttpApi : Construct
{
    public DashboardHttpApi(Construct scope, string id, DashboardHttpApiProps props)
        : base(scope, id)
    {
        Api = new HttpApi(this, "Api", new HttpApiProps
        {
            Description = "KPI dashboard and query API (read-only)",
            DefaultIntegration = new HttpLambdaIntegration("Dashboard", props.Function, new HttpLambdaIntegrationProps
            {
                PayloadFormatVersion = PayloadFormatVersion.VERSION_2_0,
            }),
            DefaultAuthorizer = new HttpIamAuthorizer(),
            CreateDefaultStage = true,
        });
    }

    public HttpApi Api { get; }

    /// <summary>Lets people or roles call the API (GET only: the API has nothing else).</summary>
    public void GrantInvoke(IGrantable grantee) =>
        Grant.AddToPrincipal(new GrantOnPrincipalOptions
        {
            Grantee = grantee,
            Actions = ["execute-api:Invoke"],
            ResourceArns = [Api.ArnForExecuteApi("GET", "/*", "*")],
        });
}
