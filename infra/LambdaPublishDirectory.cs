using Amazon.CDK;

namespace KpiPipeline.Infra;

/// <summary>
/// Finds the published Lambda package. The app does not publish it itself: a publish inside every
/// synth would double the time of each `cdk diff`, and CI already publishes once.
/// </summary>
public static class LambdaPublishDirectory
{
    public const string ContextKey = "lambdaPublishDir";
    public const string EnvironmentVariable = "KPI_LAMBDA_PUBLISH_DIR";
    public const string EntryAssembly = "KpiPipeline.Lambda.dll";

    /// <summary>
    /// Framework-dependent for the functions' architecture (arm64): a dependency with native libraries
    /// would bring only that platform's (today there are none; the package is ~4.7 MB).
    /// </summary>
    public const string PublishCommand =
        "dotnet publish lambda -c Release -r linux-arm64 --self-contained false -p:UseAppHost=false -o infra/.lambda-publish";

    /// <summary>Context value first, then the environment variable, then infra/.lambda-publish.</summary>
    public static string Resolve(App app, RepositoryLayout layout)
    {
        var configured = app.Node.TryGetContext(ContextKey) as string
            ?? System.Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(configured)
            ? layout.DefaultLambdaPublishDirectory
            : Path.GetFullPath(configured);
    }

    /// <summary>Null when the package is usable, otherwise the one line telling the user what to run.</summary>
    public static string? Problem(string directory) =>
        File.Exists(Path.Combine(directory, EntryAssembly))
            ? null
            : $"No {EntryAssembly} in {directory}: run `{PublishCommand}` first "
              + $"(or point -c {ContextKey}=<dir> / {EnvironmentVariable} at a publish folder).";
}
