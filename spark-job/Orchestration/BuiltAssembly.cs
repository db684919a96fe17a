namespace KpiPipeline.Orchestration;

/// <summary>
/// The command line that runs a deployable of a repository checkout as its own process:
/// <c>dotnet &lt;root&gt;/&lt;project&gt;/bin/&lt;config&gt;/net10.0/&lt;assembly&gt;.dll</c>, the project's own build output (a copy in
/// another project's output has that project's dependency graph instead).
/// </summary>
/// <remarks>
/// TestSupport compiles this file in as well, to start kpi-job and the validator the same way without referencing
/// spark-job, so it uses nothing but the base library.
/// </remarks>
internal static class BuiltAssembly
{
    /// <summary>For the most recently built configuration of the project: the newest <c>&lt;assembly&gt;.dll</c> that <c>dotnet</c> can run (it has a runtimeconfig).</summary>
    /// <exception cref="FileNotFoundException">The project has not been built; the message says how to build it.</exception>
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
            ? throw new FileNotFoundException($"{assemblyName}.dll is not built under {bin}: run `dotnet build {projectFolder}` first.")
            : ["dotnet", built];
    }
}
