using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.Logs;

namespace KpiPipeline.Infra;

/// <summary>The deploy-time choices of the stack, with the defaults the documentation describes.</summary>
public sealed record PipelineSettings
{
    public const string StaleBatchAfterMinutesContextKey = "staleBatchAfterMinutes";
    public const string SweepIntervalMinutesContextKey = "sweepIntervalMinutes";
    public const string KpiEngineContextKey = "kpiEngine";

    public required RepositoryLayout Layout { get; init; }

    /// <summary>The `dotnet publish` output of lambda/, the code of all four functions.</summary>
    public required string LambdaCodeDirectory { get; init; }

    /// <summary>How long every log group of the stack keeps its events.</summary>
    public RetentionDays LogRetention { get; init; } = RetentionDays.ONE_MONTH;

    /// <summary>After how many quiet minutes the sweeper starts an incomplete batch anyway.</summary>
    public int StaleBatchAfterMinutes { get; init; } = 120;

    /// <summary>How often the sweeper runs.</summary>
    public int SweepIntervalMinutes { get; init; } = 15;

    /// <summary>Where the KPI job computes: in its own process, or on a Spark Connect server beside it in the task.</summary>
    public KpiEngineMode KpiEngine { get; init; } = KpiEngineMode.InProcess;

    /// <summary>The defaults, overridden by `cdk deploy -c staleBatchAfterMinutes=60 -c sweepIntervalMinutes=5 -c kpiEngine=spark`.</summary>
    public static PipelineSettings FromContext(App app, RepositoryLayout layout, string lambdaCodeDirectory)
    {
        var defaults = new PipelineSettings { Layout = layout, LambdaCodeDirectory = lambdaCodeDirectory };
        return defaults with
        {
            StaleBatchAfterMinutes = PositiveMinutes(app, StaleBatchAfterMinutesContextKey) ?? defaults.StaleBatchAfterMinutes,
            SweepIntervalMinutes = PositiveMinutes(app, SweepIntervalMinutesContextKey) ?? defaults.SweepIntervalMinutes,
            KpiEngine = Engine(app) ?? defaults.KpiEngine,
        };
    }

    private static KpiEngineMode? Engine(App app) =>
        Convert.ToString(app.Node.TryGetContext(KpiEngineContextKey), CultureInfo.InvariantCulture) switch
        {
            null or "" => null,
            "inprocess" => KpiEngineMode.InProcess,
            "spark" => KpiEngineMode.Spark,
            var other => throw new ArgumentException($"Context value {KpiEngineContextKey}={other} is neither inprocess nor spark.", nameof(app)),
        };

    private static int? PositiveMinutes(App app, string key)
    {
        // -c on the command line arrives as a string, a value in cdk.json as a number.
        var raw = Convert.ToString(app.Node.TryGetContext(key), CultureInfo.InvariantCulture);
        if (string.IsNullOrWhiteSpace(raw))
            return null;
        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var minutes) && minutes > 0
            ? minutes
            : throw new ArgumentException($"Context value {key}={raw} is not a whole number of minutes above zero.", nameof(app));
    }
}

/// <summary>The KPI job's engine in the deployed task (the <c>kpiEngine</c> context value).</summary>
public enum KpiEngineMode
{
    /// <summary><c>inprocess</c>: the KPI job container alone computes the KPIs.</summary>
    InProcess,

    /// <summary><c>spark</c>: a Spark Connect server runs as a sidecar in the same task and computes them.</summary>
    Spark,
}
