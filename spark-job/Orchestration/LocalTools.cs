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

    /// <summary><see cref="BuiltAssembly.DotnetCommand"/>, failing as the local state machine reports problems.</summary>
    /// <exception cref="LocalStateMachineException">The project has not been built; the message says how to build it.</exception>
    public static IReadOnlyList<string> DotnetCommand(string repositoryRoot, string projectFolder, string assemblyName)
    {
        try
        {
            return BuiltAssembly.DotnetCommand(repositoryRoot, projectFolder, assemblyName);
        }
        catch (FileNotFoundException e)
        {
            throw new LocalStateMachineException(e.Message);
        }
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
