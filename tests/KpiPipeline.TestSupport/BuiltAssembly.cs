namespace KpiPipeline.Testing;

/// <summary>
/// The command line that runs a deployable as its own process: <c>dotnet &lt;root&gt;/&lt;project&gt;/bin/…/&lt;assembly&gt;.dll</c>,
/// the project's own build output (a test folder's copy has the test project's dependency graph instead).
/// </summary>
public static class BuiltAssembly
{
    /// <exception cref="FileNotFoundException">The project has not been built; the message says how to build it.</exception>
    public static IReadOnlyList<string> DotnetCommand(string projectFolder, string assemblyName)
    {
        var bin = Path.Combine(RepositoryRoot.Find(), projectFolder, "bin");
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
