namespace KpiPipeline.Infra.Tests;

/// <summary>LambdaPublishDirectory: a missing package is one actionable line, not a CDK stack trace.</summary>
public sealed class LambdaPublishDirectoryTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("kpi-lambda-publish-");

    [Fact]
    public void Problem_FolderWithoutTheLambdaAssembly_SaysWhichCommandToRun()
    {
        var problem = LambdaPublishDirectory.Problem(_directory.FullName);

        Assert.NotNull(problem);
        Assert.Contains(LambdaPublishDirectory.PublishCommand, problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void Problem_PublishedFolder_IsNull()
    {
        File.WriteAllText(Path.Combine(_directory.FullName, LambdaPublishDirectory.EntryAssembly), "");

        Assert.Null(LambdaPublishDirectory.Problem(_directory.FullName));
    }

    [Fact]
    public void PublishCommand_Documented_PublishesForTheFunctionsArchitecture() =>
        Assert.Contains("-r linux-arm64", LambdaPublishDirectory.PublishCommand, StringComparison.Ordinal);

    public void Dispose() => _directory.Delete(recursive: true);
}
