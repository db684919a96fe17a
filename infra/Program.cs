using Amazon.CDK;
using KpiPipeline.Infra;

var layout = RepositoryLayout.Discover(Directory.GetCurrentDirectory());

// The cdk CLI tells the app where to write (CDK_OUTDIR) and then reads from there; without the CLI
// the template goes to infra/cdk.out, so `dotnet run --project infra` is enough to synthesise.
var app = new App(new AppProps
{
    Outdir = System.Environment.GetEnvironmentVariable("CDK_OUTDIR") is null ? layout.CdkOutDirectory : null,
});

var lambdaCode = LambdaPublishDirectory.Resolve(app, layout);
if (LambdaPublishDirectory.Problem(lambdaCode) is { } problem)
{
    await Console.Error.WriteLineAsync(problem);
    return 1;
}

_ = new KpiPipelineStack(app, "KpiPipeline", PipelineSettings.FromContext(app, layout, lambdaCode));
app.Synth();
return 0;
