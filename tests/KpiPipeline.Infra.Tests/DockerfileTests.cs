using System.Text.RegularExpressions;
using System.Xml.Linq;
using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>
/// docker/*.Dockerfile against the repository and the contract, without a Docker engine: what a
/// build would copy exists, the entry point is the assembly the project builds, and the state
/// machine overrides a container of that name.
/// </summary>
public sealed partial class DockerfileTests
{
    private static RepositoryLayout Layout { get; } = RepositoryLayout.Discover(AppContext.BaseDirectory);

    public static TheoryData<string> Dockerfiles => new() { "validator.Dockerfile", "kpi-job.Dockerfile" };

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void CopySources_FromTheBuildContext_ExistInTheRepository(string name)
    {
        var missing = Read(name).ContextCopySources
            .Where(source => !File.Exists(InRepo(source)) && !Directory.Exists(InRepo(source)));

        Assert.Empty(missing);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void PublishedProject_Named_ExistsAndIsTheRestoredOne(string name)
    {
        var dockerfile = Read(name);

        var project = dockerfile.ProjectOf("publish");

        Assert.True(File.Exists(InRepo(project)), $"{name} publishes {project}, which does not exist");
        Assert.Equal(project, dockerfile.ProjectOf("restore"));
        // The restore layer sees only the project files copied before it, so each must be copied.
        Assert.Contains(project, dockerfile.ContextCopySources);
    }

    /// <summary>
    /// Restore sees only the project files copied before it and publish only the folders copied after, so every
    /// project the published one references, directly or through another, is copied both ways; and a project it
    /// does not reference is not copied, so the image is rebuilt only for code it runs.
    /// </summary>
    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void CopiedProjects_AreExactlyThePublishedProjectAndItsReferences(string name)
    {
        var dockerfile = Read(name);
        var copied = dockerfile.ContextCopySources.ToList();
        var referenced = ProjectClosure(dockerfile.ProjectOf("publish")).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(referenced, copied.Where(source => source.EndsWith(".csproj", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(
            referenced.Select(project => Path.GetDirectoryName(project)!.Replace('\\', '/') + "/").Order(StringComparer.Ordinal),
            copied.Where(source => source.EndsWith('/')).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Entrypoint_RunsTheAssemblyThePublishedProjectBuilds(string name)
    {
        var dockerfile = Read(name);

        var entrypoint = dockerfile.Entrypoint;

        Assert.Equal("dotnet", entrypoint[0]);
        Assert.Equal($"{AssemblyNameOf(dockerfile.ProjectOf("publish"))}.dll", Assert.Single(entrypoint.Skip(1)));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Entrypoint_AssemblyName_IsAContainerTheStateMachineOverrides(string name)
    {
        var assembly = Path.GetFileNameWithoutExtension(Read(name).Entrypoint[1]);

        Assert.Contains(assembly, StateMachineDefinition.ContainerOverrideNames(Layout.StateMachineDefinition));
    }

    [Fact]
    public void Entrypoints_OfBothImages_AreTheContractCommands() =>
        Assert.Equal(
            [["dotnet", "validator.dll"], ["dotnet", "kpi-job.dll"]],
            new[] { "validator.Dockerfile", "kpi-job.Dockerfile" }.Select(name => Read(name).Entrypoint));

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void BaseImages_BothStages_AreMicrosoftDotnet10PinnedToAPatch(string name)
    {
        var images = Read(name).BaseImages.ToList();

        Assert.Equal(2, images.Count);
        Assert.Matches(PinnedImage("sdk"), images[0]);
        Assert.Matches(PinnedImage("runtime"), images[1]);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void FinalStage_RunsAsANonRootUser(string name)
    {
        var user = Read(name).FinalStage.LastOrDefault(instruction => instruction.Keyword == "USER");

        Assert.NotNull(user);
        Assert.DoesNotMatch("^(root|0)(:.*)?$", user.Arguments);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Instructions_AnyStage_BakeInNoCredentials(string name)
    {
        var suspicious = Read(name).Instructions
            .Where(instruction => instruction.Keyword is "ENV" or "ARG")
            .Where(instruction => SecretName().IsMatch(instruction.Arguments));

        Assert.Empty(suspicious);
    }

    [Fact]
    public void DockerIgnore_AtTheRoot_KeepsBuildOutputsAndGitOut()
    {
        var lines = File.ReadAllLines(Path.Combine(Layout.Root, ".dockerignore"));

        Assert.Contains("*", lines);
        Assert.Contains("**/bin/", lines);
        Assert.Contains("**/obj/", lines);
        Assert.Contains("**/node_modules/", lines);
        Assert.Contains("**/cdk.out/", lines);
        Assert.Contains("**/TestResults/", lines);
    }

    private static Dockerfile Read(string name) => Dockerfile.Read(Path.Combine(Layout.Root, RepositoryLayout.DockerfileRelativePath(name)));

    private static string InRepo(string relative) => Path.Combine(Layout.Root, relative.TrimEnd('/'));

    private static string AssemblyNameOf(string project) =>
        XDocument.Load(InRepo(project)).Descendants("AssemblyName").Select(element => element.Value).SingleOrDefault()
        ?? Path.GetFileNameWithoutExtension(project);

    /// <summary>The project and every project it references, directly or through another, relative to the repository root.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next))
                continue;
            var folder = Path.GetDirectoryName(InRepo(next))!;
            foreach (var include in XDocument.Load(InRepo(next)).Descendants("ProjectReference").Select(item => (string?)item.Attribute("Include")).OfType<string>())
                pending.Push(Path.GetRelativePath(Layout.Root, Path.GetFullPath(Path.Combine(folder, include))).Replace('\\', '/'));
        }
        return seen;
    }

    private static Regex PinnedImage(string kind) => new($@"^mcr\.microsoft\.com/dotnet/{kind}:10\.0\.\d+(-[a-z-]+)?$");

    [GeneratedRegex("(SECRET|PASSWORD|TOKEN|ACCESS_KEY|PRIVATE)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
