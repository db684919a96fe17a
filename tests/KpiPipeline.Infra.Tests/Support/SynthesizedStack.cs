using System.Text.Json.Nodes;
using Amazon.CDK;
using Amazon.CDK.Assertions;

namespace KpiPipeline.Infra.Tests.Support;

/// <summary>
/// Synthesises the stack once for every test class in the collection (a synth starts the jsii
/// node process and stages the assets: seconds, not milliseconds). The Lambda package is a stand-in
/// folder, so the tests need no `dotnet publish`.
/// </summary>
public sealed class SynthesizedStack : IDisposable
{
    private readonly string _workDirectory;

    public SynthesizedStack()
        : this(KpiEngineMode.InProcess)
    {
    }

    internal SynthesizedStack(KpiEngineMode kpiEngine)
    {
        Layout = RepositoryLayout.Discover(AppContext.BaseDirectory);
        _workDirectory = Directory.CreateTempSubdirectory("kpi-infra-tests-").FullName;
        var lambdaCode = Directory.CreateDirectory(Path.Combine(_workDirectory, "lambda")).FullName;
        File.WriteAllText(Path.Combine(lambdaCode, LambdaPublishDirectory.EntryAssembly), "stand-in");
        OutputDirectory = Path.Combine(_workDirectory, "cdk.out");

        var app = new App(new AppProps { Outdir = OutputDirectory });
        var stack = new KpiPipelineStack(app, StackName, new PipelineSettings { Layout = Layout, LambdaCodeDirectory = lambdaCode, KpiEngine = kpiEngine });
        Template = Template.FromStack(stack);
        Json = new TemplateJson(JsonNode.Parse(File.ReadAllText(Path.Combine(OutputDirectory, $"{StackName}.template.json")))!.AsObject());
    }

    public const string StackName = "KpiPipelineUnderTest";

    public RepositoryLayout Layout { get; }

    public string OutputDirectory { get; }

    public Template Template { get; }

    public TemplateJson Json { get; }

    /// <summary>Where synth staged an asset (the file or folder named by its hash in the template).</summary>
    public string StagedAsset(string hashWithExtension) => Path.Combine(OutputDirectory, $"asset.{hashWithExtension}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; failing the run over it is not.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SynthesizedStackCollection : ICollectionFixture<SynthesizedStack>
{
    public const string Name = "synthesized stack";
}

/// <summary>The same stack deployed with <c>-c kpiEngine=spark</c>.</summary>
public sealed class SynthesizedSparkStack : IDisposable
{
    public SynthesizedStack Stack { get; } = new(KpiEngineMode.Spark);

    public void Dispose() => Stack.Dispose();
}

[CollectionDefinition(Name)]
public sealed class SynthesizedSparkStackCollection : ICollectionFixture<SynthesizedSparkStack>
{
    public const string Name = "synthesized stack with the Spark engine";
}
