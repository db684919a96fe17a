using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>
/// docker/*.Dockerfile against the repository and the contract, without a Docker engine: what a
/// build would copy exists, the image is the Native AOT executable the project builds (on runtime-deps,
/// with the native libraries beside it and no .NET runtime), and the state machine overrides a
/// container of that name.
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

    /// <summary>The image runs the executable itself (no `dotnet` host: runtime-deps has none), from the final stage's WORKDIR.</summary>
    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Entrypoint_RunsTheExecutableThePublishedProjectBuilds_FromTheWorkdir(string name)
    {
        var dockerfile = Read(name);
        var workdir = dockerfile.Stages[^1].Workdir;

        Assert.NotNull(workdir);
        Assert.Equal([$"{workdir.TrimEnd('/')}/{AssemblyNameOf(dockerfile.ProjectOf("publish"))}"], dockerfile.Entrypoint);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Entrypoint_Executable_IsAContainerTheStateMachineOverrides(string name)
    {
        var executable = Path.GetFileName(Assert.Single(Read(name).Entrypoint));

        Assert.Contains(executable, StateMachineDefinition.ContainerOverrideNames(Layout.StateMachineDefinition));
    }

    [Fact]
    public void Entrypoints_OfBothImages_AreTheContractCommands() =>
        Assert.Equal(
            [["/app/validator"], ["/app/kpi-job"]],
            new[] { "validator.Dockerfile", "kpi-job.Dockerfile" }.Select(name => Read(name).Entrypoint));

    /// <summary>
    /// The final stage takes from the publish output exactly what runs: the executable and every native library of the
    /// packages (`*.so`, which the executable loads from its own folder), into the WORKDIR the entry point runs from.
    /// Not the debug symbols, .pdb and runtimeconfig files the publish leaves beside them, which nothing reads.
    /// </summary>
    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void FinalStage_CopiesTheExecutableAndEveryNativeLibrary_AndNothingElse(string name)
    {
        var dockerfile = Read(name);
        var output = dockerfile.OptionOf("publish", "--output").TrimEnd('/');
        var executable = AssemblyNameOf(dockerfile.ProjectOf("publish"));
        var final = dockerfile.Stages[^1];

        var (sources, destination) = Assert.Single(final.CopiesFrom(PublishingStage(dockerfile).Name!));

        Assert.Equal(new[] { $"{output}/{executable}", $"{output}/*.so" }.Order(StringComparer.Ordinal), sources.Order(StringComparer.Ordinal));
        Assert.Contains(destination.TrimEnd('/'), new[] { ".", final.Workdir?.TrimEnd('/') });
        Assert.Single(final.Instructions, instruction => instruction.Keyword is "COPY" or "ADD");
    }

    /// <summary>
    /// Native AOT links with clang: the build stage is the -aot SDK image (the SDK plus clang, llvm and zlib), the SDK
    /// global.json pins; it runs on the build machine's platform and compiles for the image's. A Native AOT executable
    /// carries its runtime, so the final stage is runtime-deps (C libraries and OpenSSL, no .NET), chiseled. Both pinned to a patch.
    /// </summary>
    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void BaseImages_AreTheAotSdkOnTheBuildPlatform_ThenChiseledRuntimeDeps(string name)
    {
        var stages = Read(name).Stages;

        Assert.Equal(2, stages.Count);
        Assert.Matches(PinnedImage("sdk", "aot"), stages[0].Image);
        Assert.StartsWith($"mcr.microsoft.com/dotnet/sdk:{GlobalJsonSdkVersion()}-", stages[0].Image, StringComparison.Ordinal);
        Assert.Equal("$BUILDPLATFORM", stages[0].Platform);
        Assert.Matches(PinnedImage("runtime-deps", "chiseled"), stages[1].Image);
    }

    /// <summary>
    /// Restore and publish both pass the image's architecture (ContainerPublish.props makes it the RuntimeIdentifier
    /// and turns Native AOT on), so `publish --no-restore` finds that runtime's packages restored. The executable is
    /// the app, so nothing turns the app host off.
    /// </summary>
    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void RestoreAndPublish_ForTheTargetArchitecture_BuildTheExecutable(string name)
    {
        var dockerfile = Read(name);
        var restore = dockerfile.DotnetCommand("restore");
        var publish = dockerfile.DotnetCommand("publish");

        Assert.Contains("-p:ContainerArch=$TARGETARCH", restore);
        Assert.Contains("-p:ContainerArch=$TARGETARCH", publish);
        Assert.Contains("--no-restore", publish);
        Assert.DoesNotContain(publish, word => word.StartsWith("-p:UseAppHost", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(PublishingStage(dockerfile).Instructions, instruction => instruction is { Keyword: "ARG", Arguments: "TARGETARCH" });
    }

    /// <summary>
    /// Cross-compiling (the arm64 image on an x64 machine) needs the target's linker and C runtime: the build stage
    /// runs docker/aot-cross-toolchain.sh with both architectures, before the restore so that layer stays cached.
    /// </summary>
    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void BuildStage_InstallsTheCrossToolchainForBothArchitectures_BeforeRestoring(string name)
    {
        var build = PublishingStage(Read(name)).Instructions.ToList();

        var toolchain = build.FindIndex(instruction => instruction.Keyword == "RUN" && instruction.Arguments.Contains(CrossToolchainScript, StringComparison.Ordinal));
        var restore = build.FindIndex(instruction => instruction.Keyword == "RUN" && instruction.Words.Take(2).SequenceEqual(["dotnet", "restore"]));

        Assert.InRange(toolchain, 0, restore - 1);
        Assert.Equal(["\"$BUILDARCH\"", "\"$TARGETARCH\""], build[toolchain].Words.SkipWhile(word => !word.EndsWith(CrossToolchainScript, StringComparison.Ordinal)).Skip(1));
        Assert.Contains(build.Take(toolchain), instruction => instruction is { Keyword: "ARG", Arguments: "BUILDARCH" });
        Assert.Contains(build.Take(toolchain), instruction => instruction is { Keyword: "ARG", Arguments: "TARGETARCH" });
        Assert.Contains(build.Take(toolchain), instruction => instruction.Keyword == "COPY" && instruction.Words[0] == $"docker/{CrossToolchainScript}");
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

    private const string CrossToolchainScript = "aot-cross-toolchain.sh";

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

    /// <summary>The stage whose RUN publishes, which the final stage copies from.</summary>
    private static DockerStage PublishingStage(Dockerfile dockerfile) =>
        dockerfile.Stages.Single(stage => stage.Instructions.Any(instruction => instruction.Keyword == "RUN" && instruction.Words.Take(2).SequenceEqual(["dotnet", "publish"])));

    private static string GlobalJsonSdkVersion()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Layout.Root, "global.json")));
        return json.RootElement.GetProperty("sdk").GetProperty("version").GetString()!;
    }

    /// <summary>A .NET 10 image pinned to a patch, on a named OS, of the given variant: e.g. sdk:10.0.401-noble-aot.</summary>
    private static Regex PinnedImage(string kind, string variant) =>
        new($@"^mcr\.microsoft\.com/dotnet/{Regex.Escape(kind)}:10\.0\.\d+-[a-z]+[0-9.]*(-[a-z]+)*-{Regex.Escape(variant)}$");

    [GeneratedRegex("(SECRET|PASSWORD|TOKEN|ACCESS_KEY|PRIVATE)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
