using Amazon.CDK.AWS.Logs;

namespace KpiPipeline.Infra;

/// <summary>The deploy-time choices of the stack, with the defaults the documentation describes.</summary>
public sealed record PipelineSettings
{
    public required RepositoryLayout Layout { get; init; }

    /// <summary>The `dotnet publish` output of lambda/, the code of all four functions.</summary>
    public required string LambdaCodeDirectory { get; init; }

    /// <summary>How long every log group of the stack keeps its events.</summary>
    public RetentionDays LogRetention { get; init; } = RetentionDays.ONE_MONTH;

    /// <summary>After how many quiet minutes the sweeper starts an incomplete batch anyway.</summary>
    public int StaleBatchAfterMinutes { get; init; } = 120;

    /// <summary>How often the sweeper runs.</summary>
    public int SweepIntervalMinutes { get; init; } = 15;
}
