using System.Text.RegularExpressions;

namespace KpiPipeline.Infra.Tests;

/// <summary>docs/deployment.md names what the code defines; these keep the two from drifting apart.</summary>
[Collection(Support.SynthesizedStackCollection.Name)]
public sealed partial class DeploymentDocTests(Support.SynthesizedStack sut)
{
    private static RepositoryLayout Layout { get; } = RepositoryLayout.Discover(AppContext.BaseDirectory);

    private static string Doc { get; } = File.ReadAllText(Path.Combine(Layout.Root, "docs", "deployment.md"));

    public static TheoryData<string> ContextKeys => new()
    {
        LambdaPublishDirectory.ContextKey,
        LambdaPublishDirectory.EnvironmentVariable,
        PipelineSettings.StaleBatchAfterMinutesContextKey,
        PipelineSettings.SweepIntervalMinutesContextKey,
        PipelineSettings.KpiEngineContextKey,
    };

    public static TheoryData<string> Outputs => new(OutputNameValues());

    public static TheoryData<string> WildcardResourceActions => new(IamPolicyTests.ActionsThatRequireWildcardResource);

    [Fact]
    public void Doc_PublishStep_IsTheCommandTheAppSuggests() =>
        Assert.Contains(LambdaPublishDirectory.PublishCommand, Doc, StringComparison.Ordinal);

    [Fact]
    public void CiStep_LambdaPublish_UsesTheDocumentedOptions()
    {
        var script = File.ReadAllText(Path.Combine(Layout.Root, ".ci", "steps", "21-publish-lambda-and-synth.sh"));

        Assert.Contains("-r linux-arm64 --self-contained false", script, StringComparison.Ordinal);
        Assert.Contains("-p:UseAppHost=false", script, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ContextKeys))]
    public void Doc_ContextTable_NamesEveryKeyTheAppReads(string key) =>
        Assert.Contains($"`{key}`", Doc, StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Outputs))]
    public void Doc_OutputsTable_NamesEveryStackOutput(string output) =>
        Assert.Contains($"`{output}`", Doc, StringComparison.Ordinal);

    [Fact]
    public void Doc_ShellHelper_ReadsOnlyOutputsTheStackHas()
    {
        var used = OutputCall().Matches(Doc).Select(match => match.Groups["name"].Value).Distinct();
        var defined = OutputNameValues();

        Assert.Subset(defined.ToHashSet(), used.ToHashSet());
    }

    [Theory]
    [MemberData(nameof(WildcardResourceActions))]
    public void Doc_WildcardResourceTable_ExplainsEveryAllowedAction(string action)
    {
        var name = action[(action.IndexOf(':', StringComparison.Ordinal) + 1)..];

        Assert.Contains(name, Doc, StringComparison.Ordinal);
    }

    [Fact]
    public void Doc_AlarmTable_ExplainsEveryAlarmOfTheStack()
    {
        var ids = sut.Json.Resources("AWS::CloudWatch::Alarm")
            .Select(alarm => ((string)alarm.Properties["AlarmDescription"]!).Split(':')[0])
            .ToList();

        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.Contains($"| `{id}` |", Doc, StringComparison.Ordinal));
    }

    private static string[] OutputNameValues() =>
        [.. typeof(OutputNames).GetFields().Select(constant => (string)constant.GetRawConstantValue()!)];

    [GeneratedRegex(@"\$\(output (?<name>[A-Za-z]+)\)")]
    private static partial Regex OutputCall();
}
