using System.Xml.Linq;
using KpiPipeline.Testing;

namespace KpiPipeline.Core.Tests.Architecture;

/// <summary>
/// The reference rules of docs/architecture.md, read from the project files themselves: the domain has no
/// infrastructure, adapters depend only on the domain (the DynamoDB adapter on the AWS one as well, for its clients), and
/// each deployable carries only what it runs.
/// </summary>
public sealed class ProjectReferenceTests
{
    private const string Core = "core/KpiPipeline.Core.csproj";
    private const string Engine = "engine/KpiPipeline.Engine.csproj";
    private const string Aws = "adapters/aws/KpiPipeline.Aws.csproj";
    private const string DynamoDb = "adapters/dynamodb/KpiPipeline.DynamoDb.csproj";
    private const string Local = "adapters/local/KpiPipeline.Local.csproj";
    private const string Sqlite = "adapters/sqlite/KpiPipeline.Sqlite.csproj";
    private const string Lambda = "lambda/KpiPipeline.Lambda.csproj";
    private const string Dashboard = "dashboard/KpiPipeline.Dashboard.csproj";
    private const string Validator = "validator/KpiPipeline.Validator.csproj";
    private const string SparkJob = "spark-job/KpiPipeline.SparkJob.csproj";
    private const string Samples = "samples/generator/KpiPipeline.Samples.csproj";

    /// <summary>Every project another may reference, and the projects each of them may reference.</summary>
    public static TheoryData<string, string[]> AllowedProjectReferences => new()
    {
        { Core, [] },
        { Engine, [Core] },
        { Aws, [Core] },
        { DynamoDb, [Core, Aws] },
        { Local, [Core] },
        { Sqlite, [Core] },
        { Lambda, [Core, Aws, DynamoDb, Dashboard] },
        { Dashboard, [Core] },
        { Validator, [Core, Aws, Local, Samples] },
        { Samples, [Core] },
    };

    /// <summary>Packages that mean infrastructure, tooling or a user interface, by the projects that must not carry them.</summary>
    public static TheoryData<string, string[]> ForbiddenPackages => new()
    {
        { Core, ["AWSSDK.", "Microsoft.Data.Sqlite", "Polly", "System.CommandLine", "Spectre.Console", "Deedle", "FSharp.Core", "Parquet", "DuckDB", "Grpc", "Apache.Arrow"] },
        { Engine, ["AWSSDK.", "Microsoft.Data.Sqlite", "System.CommandLine", "Spectre.Console", "Deedle", "DuckDB", "Grpc"] },
        { Aws, ["AWSSDK.DynamoDBv2", "Microsoft.Data.Sqlite", "Polly", "System.CommandLine", "Spectre.Console", "Deedle", "Parquet", "DuckDB"] },
        { DynamoDb, ["Microsoft.Data.Sqlite", "System.CommandLine", "Spectre.Console", "Deedle", "Parquet", "DuckDB"] },
        { Local, ["AWSSDK.", "Microsoft.Data.Sqlite", "Polly", "System.CommandLine", "Spectre.Console", "Deedle", "Parquet", "DuckDB"] },
        { Sqlite, ["AWSSDK.", "Polly", "System.CommandLine", "Spectre.Console", "Deedle", "Parquet", "DuckDB"] },
        { Lambda, ["Microsoft.Data.Sqlite", "System.CommandLine", "Spectre.Console", "Deedle", "FSharp.Core", "Parquet", "DuckDB", "Grpc", "Apache.Arrow"] },
        { Validator, ["AWSSDK.DynamoDBv2", "Microsoft.Data.Sqlite", "Polly", "Spectre.Console", "DuckDB", "Grpc"] },
        { SparkJob, ["DuckDB"] },
        { Samples, ["AWSSDK.", "Microsoft.Data.Sqlite", "System.CommandLine", "Spectre.Console", "Deedle", "Parquet", "DuckDB", "Grpc"] },
        { Dashboard, ["AWSSDK.", "Microsoft.Data.Sqlite", "Polly", "System.CommandLine", "Spectre.Console", "Parquet", "DuckDB", "Grpc"] },
    };

    /// <summary>
    /// The dashboard's API is framework-free so the Lambda can serve it: ASP.NET Core (the shared framework) is
    /// referenced by the kpi-job host only, never by the dashboard library or the Lambda, directly or through a project.
    /// </summary>
    [Theory]
    [InlineData(Dashboard)]
    [InlineData(Lambda)]
    public void Project_DoesNotReferenceAspNetCore(string project)
    {
        var frameworks = Closure(project).SelectMany(p => Items(p, "FrameworkReference"));

        Assert.DoesNotContain("Microsoft.AspNetCore.App", frameworks);
    }

    [Theory]
    [MemberData(nameof(AllowedProjectReferences))]
    public void Project_ReferencesOnlyItsAllowedProjects(string project, string[] allowed)
    {
        var referenced = ProjectReferences(project);

        Assert.Empty(referenced.Except(allowed));
    }

    [Theory]
    [MemberData(nameof(ForbiddenPackages))]
    public void Project_CarriesNoForbiddenPackage(string project, string[] forbiddenPrefixes)
    {
        // Transitively too: what a referenced project carries ends up in this one's output.
        var packages = Closure(project).SelectMany(PackageReferences).ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.DoesNotContain(packages, package => forbiddenPrefixes.Any(prefix => package.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// The validator reads and writes objects only: no KPI store or batch tracker project, directly or through
    /// another, so its image carries neither DynamoDB nor SQLite.
    /// </summary>
    [Fact]
    public void Validator_ReferencesNoKpiStoreOrTrackerProject()
    {
        var closure = Closure(Validator).ToList();

        Assert.DoesNotContain(DynamoDb, closure);
        Assert.DoesNotContain(Sqlite, closure);
    }

    /// <summary>The Lambda runs against DynamoDB only: the SQLite store and tracker stay out of its package.</summary>
    [Fact]
    public void Lambda_ReferencesNoSqliteProject()
    {
        Assert.DoesNotContain(Sqlite, Closure(Lambda));
    }

    /// <summary>The sample generator is tooling: only the two command lines with a bench may carry it, never a deployable library or the Lambda.</summary>
    [Fact]
    public void SampleGenerator_IsReferencedOnlyByKpiJobAndTheValidator()
    {
        var referencing = ProductionProjects().Where(project => ProjectReferences(project).Contains(Samples));

        Assert.Equal([SparkJob, Validator], referencing.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ProductionProjects_NeverReferenceTestProjects()
    {
        Assert.All(ProductionProjects(), project => Assert.DoesNotContain(ProjectReferences(project), reference => reference.StartsWith("tests/", StringComparison.Ordinal)));
    }

    /// <summary>Every project file outside tests/, as a path relative to the repository root.</summary>
    private static IEnumerable<string> ProductionProjects()
    {
        var root = RepositoryRoot.Find();
        return Directory.EnumerateFiles(root, "*.csproj", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("tests/", StringComparison.Ordinal) && !path.Contains("/bin/", StringComparison.Ordinal) && !path.Contains("/obj/", StringComparison.Ordinal) && !path.StartsWith("node_modules/", StringComparison.Ordinal));
    }

    private static IEnumerable<string> Closure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (seen.Add(next))
            {
                foreach (var reference in ProjectReferences(next))
                    pending.Push(reference);
            }
        }
        return seen;
    }

    /// <summary>Referenced projects as paths relative to the repository root.</summary>
    private static IReadOnlyList<string> ProjectReferences(string project)
    {
        var root = RepositoryRoot.Find();
        var folder = Path.GetDirectoryName(Path.Combine(root, project))!;
        return Items(project, "ProjectReference")
            .Select(include => Path.GetRelativePath(root, Path.GetFullPath(Path.Combine(folder, include))).Replace('\\', '/'))
            .ToList();
    }

    private static IEnumerable<string> PackageReferences(string project) => Items(project, "PackageReference");

    private static IEnumerable<string> Items(string project, string itemName)
    {
        var document = XDocument.Load(Path.Combine(RepositoryRoot.Find(), project));
        return document.Descendants(itemName)
            .Select(item => (string?)item.Attribute("Include"))
            .OfType<string>();
    }
}
