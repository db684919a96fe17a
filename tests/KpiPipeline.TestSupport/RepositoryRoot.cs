namespace KpiPipeline.Testing;

/// <summary>Finds the repository's root folder: the one holding <c>KpiPipeline.slnx</c>.</summary>
public static class RepositoryRoot
{
    /// <summary>The file that marks the root.</summary>
    public const string MarkerFile = "KpiPipeline.slnx";

    private static readonly Lazy<string> Cached = new(() => Find(AppContext.BaseDirectory));

    /// <summary>The root above the running test assembly (cached).</summary>
    public static string Find() => Cached.Value;

    /// <summary>The root at or above <paramref name="startDirectory"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">No folder at or above it holds the marker file.</exception>
    public static string Find(string startDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(startDirectory);
        for (var directory = new DirectoryInfo(startDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, MarkerFile)))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException(
            $"No folder at or above '{startDirectory}' holds {MarkerFile}; run the tests from inside the repository.");
    }
}
