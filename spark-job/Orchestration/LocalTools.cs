namespace KpiPipeline.Orchestration;

/// <summary>
/// Finds what a local state machine run needs in a checkout of the repository: its root (the folder holding
/// <c>KpiPipeline.slnx</c>), the Node tools of <c>npm ci</c>, and the built validator and Lambda assemblies.
/// </summary>
public static class LocalTools
{
    public const string RootMarker = "KpiPipeline.slnx";

    /// <summary>The repository root at or above <paramref name="start"/>, or null.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (var directory = new DirectoryInfo(Path.GetFullPath(start)); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, RootMarker)))
                return directory.FullName;
        }
        return null;
    }

    /// <summary>
    /// <c>["dotnet", "&lt;root&gt;/&lt;project&gt;/bin/&lt;config&gt;/net10.0/&lt;assembly&gt;.dll"]</c> for the most recently built
    /// configuration of a project.
    /// </summary>
    /// <exception cref="LocalStateMachineException">The project has not been built; the message says how to build it.</exception>
    public static IReadOnlyList<string> DotnetCommand(string repositoryRoot, string projectFolder, string assemblyName)
    {
        var bin = Path.Combine(repositoryRoot, projectFolder, "bin");
        var built = Directory.Exists(bin)
            ? Directory.EnumerateFiles(bin, assemblyName + ".dll", SearchOption.AllDirectories)
                .Where(path => File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault()
            : null;
        return built is null
            ? throw new LocalStateMachineException($"{assemblyName}.dll is not built under {bin}: run `dotnet build {projectFolder}` first.")
            : ["dotnet", built];
    }

    /// <summary>Checks that <c>npm ci</c> has installed the state machine engine.</summary>
    /// <exception cref="LocalStateMachineException">It has not.</exception>
    public static void RequireNodeTools(string repositoryRoot)
    {
        var engine = Path.Combine(repositoryRoot, "node_modules", "aws-local-stepfunctions");
        if (!Directory.Exists(engine))
            throw new LocalStateMachineException($"{engine} is missing: run `npm ci` in {repositoryRoot} (Node 22 and aws-local-stepfunctions).");
    }
}
