namespace KpiPipeline.Infra;

/// <summary>
/// Where the CDK app finds what it packages. Everything is resolved from the repository root so
/// the app behaves the same from `dotnet run --project infra` (cwd: the root) and from the cdk CLI
/// (cwd: infra/).
/// </summary>
public sealed record RepositoryLayout(string Root)
{
    /// <summary>The file that marks the repository root.</summary>
    public const string RootMarker = "KpiPipeline.slnx";

    public string StateMachineDefinition => Path.Combine(Root, "statemachine", "kpi-pipeline.asl.json");

    public string DefaultLambdaPublishDirectory => Path.Combine(Root, "infra", ".lambda-publish");

    public string CdkOutDirectory => Path.Combine(Root, "infra", "cdk.out");

    /// <summary>A Dockerfile's path relative to the root, the form the image asset expects.</summary>
    public static string DockerfileRelativePath(string dockerfileName) => $"docker/{dockerfileName}";

    /// <summary>Walks up from <paramref name="startDirectory"/> to the folder holding <see cref="RootMarker"/>.</summary>
    public static RepositoryLayout Discover(string startDirectory)
    {
        for (var directory = new DirectoryInfo(startDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, RootMarker)))
                return new RepositoryLayout(directory.FullName);
        }

        throw new DirectoryNotFoundException(
            $"No {RootMarker} found in {startDirectory} or any parent: run the CDK app from inside the repository.");
    }
}
