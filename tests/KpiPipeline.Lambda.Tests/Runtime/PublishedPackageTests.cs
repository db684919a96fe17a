using System.Text.Json.Nodes;

namespace KpiPipeline.Lambda.Tests.Runtime;

/// <summary>
/// The deployed package holds what the four functions use and nothing else: the CLI's, the local
/// store's and the engine's packages, and ASP.NET Core (the dashboard's host in kpi-job), would only add cold-start time and attack surface.
/// </summary>
public sealed class PublishedPackageTests
{
    /// <summary>Every file of the package starts with one of these (assemblies, symbols, deps and runtime config).</summary>
    private static readonly string[] AllowedPrefixes =
    [
        "KpiPipeline.Lambda.", "KpiPipeline.Core.", "KpiPipeline.Aws.", "KpiPipeline.DynamoDb.", "KpiPipeline.Dashboard.",
        "AWSSDK.Core.", "AWSSDK.S3.", "AWSSDK.DynamoDBv2.",
        "Microsoft.Extensions.", "Polly.Core.",
    ];

    private static readonly string[] Forbidden =
        ["sqlite", "System.CommandLine", "Spectre.Console", "kpi-job", "KpiPipeline.Local", "KpiPipeline.Sqlite", "KpiPipeline.Engine", "KpiPipeline.SparkJob", "Parquet", "Grpc", "Apache.Arrow", "AspNetCore"];

    [Fact]
    public async Task Publish_LambdaPackage_HoldsOnlyWhatTheFunctionsUse()
    {
        var directory = await PublishedLambda.DirectoryAsync();

        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(directory, path)).ToList();

        Assert.Contains(PublishedLambda.EntryAssembly, files);
        Assert.All(files, file => Assert.True(AllowedPrefixes.Any(prefix => file.StartsWith(prefix, StringComparison.Ordinal)), $"{file} is not something the functions use"));
        Assert.Empty(Directory.EnumerateDirectories(directory)); // no runtimes/<rid>/native: nothing native at all
    }

    [Fact]
    public async Task Publish_LambdaPackage_ListsNoSqliteCliOrConsoleTablePackage()
    {
        var directory = await PublishedLambda.DirectoryAsync();
        var deps = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "KpiPipeline.Lambda.deps.json")))!;

        var libraries = deps["libraries"]!.AsObject().Select(library => library.Key).ToList();
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();

        Assert.Contains(libraries, library => library.StartsWith("KpiPipeline.Core/", StringComparison.Ordinal));
        Assert.Contains(libraries, library => library.StartsWith("KpiPipeline.DynamoDb/", StringComparison.Ordinal));
        Assert.All(Forbidden, name =>
        {
            Assert.DoesNotContain(libraries, library => library.Contains(name, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(files, file => file!.Contains(name, StringComparison.OrdinalIgnoreCase));
        });
    }
}
