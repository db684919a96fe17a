using Amazon.CDK;

namespace KpiPipeline.Infra.Tests;

/// <summary>PipelineSettings: the context values docs/deployment.md documents for `cdk deploy -c`.</summary>
public sealed class PipelineSettingsTests
{
    private static RepositoryLayout Layout { get; } = new("/repo");

    [Fact]
    public void FromContext_NoContext_UsesTheDocumentedDefaults()
    {
        var settings = CreateSut(new Dictionary<string, object>());

        Assert.Equal(120, settings.StaleBatchAfterMinutes);
        Assert.Equal(15, settings.SweepIntervalMinutes);
    }

    [Fact]
    public void FromContext_CommandLineStrings_OverrideBothIntervals()
    {
        var settings = CreateSut(new Dictionary<string, object>
        {
            [PipelineSettings.StaleBatchAfterMinutesContextKey] = "45",
            [PipelineSettings.SweepIntervalMinutesContextKey] = "5",
        });

        Assert.Equal(45, settings.StaleBatchAfterMinutes);
        Assert.Equal(5, settings.SweepIntervalMinutes);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("two hours")]
    public void FromContext_NotAPositiveWholeNumber_ThrowsNamingTheKey(string value)
    {
        var exception = Assert.Throws<ArgumentException>(() =>
            CreateSut(new Dictionary<string, object> { [PipelineSettings.StaleBatchAfterMinutesContextKey] = value }));

        Assert.Contains(PipelineSettings.StaleBatchAfterMinutesContextKey, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, KpiEngineMode.InProcess)]
    [InlineData("inprocess", KpiEngineMode.InProcess)]
    [InlineData("spark", KpiEngineMode.Spark)]
    public void FromContext_KpiEngine_SelectsTheEngine(string? value, KpiEngineMode expected)
    {
        var context = value is null ? new Dictionary<string, object>() : new Dictionary<string, object> { [PipelineSettings.KpiEngineContextKey] = value };

        Assert.Equal(expected, CreateSut(context).KpiEngine);
    }

    [Fact]
    public void FromContext_UnknownKpiEngine_ThrowsNamingTheKeyAndValue()
    {
        var exception = Assert.Throws<ArgumentException>(() =>
            CreateSut(new Dictionary<string, object> { [PipelineSettings.KpiEngineContextKey] = "emr" }));

        Assert.StartsWith("Context value kpiEngine=emr is neither inprocess nor spark.", exception.Message, StringComparison.Ordinal);
    }

    private static PipelineSettings CreateSut(Dictionary<string, object> context) =>
        PipelineSettings.FromContext(new App(new AppProps { Context = context }), Layout, "/publish");
}
