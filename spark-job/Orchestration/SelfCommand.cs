namespace KpiPipeline.Orchestration;

/// <summary>The command line that starts this very kpi-job again as its own process.</summary>
internal static class SelfCommand
{
    /// <summary>
    /// <c>dotnet kpi-job.dll</c> when this process is the <c>dotnet</c> host running the build output; the
    /// executable itself otherwise (the apphost, a single-file or a Native AOT publish, which have no .dll to name).
    /// </summary>
    public static IReadOnlyList<string> Command()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, Path.Combine(AppContext.BaseDirectory, "kpi-job.dll")]
            : [process];
    }
}
