using System.Globalization;

namespace KpiPipeline.Lambda;

/// <summary>
/// The handlers' configuration, read from the same environment variables locally and in AWS
/// (docs/architecture.md, "Environment").
/// </summary>
public sealed record LambdaSettings
{
    /// <summary><c>TRACKER_TABLE</c>: the per-batch file tracker.</summary>
    public string TrackerTable { get; init; } = "BatchFileTracker";

    /// <summary><c>LOCK_TABLE</c>: the per-date leases.</summary>
    public string LockTable { get; init; } = "BatchDateLocks";

    /// <summary><c>STATE_MACHINE_ARN</c>: required only where an execution is started.</summary>
    public string? StateMachineArn { get; init; }

    /// <summary><c>STALE_BATCH_AFTER_MINUTES</c>: the quiet period after which an incomplete batch is stale.</summary>
    public TimeSpan StaleBatchAfter { get; init; } = TimeSpan.FromMinutes(120);

    /// <summary>
    /// <c>INVOCATION_BUDGET_SECONDS</c>: the longest one invocation of a batch function can run; CDK sets
    /// the function's timeout. A claim older than this has outlived its claimer and is resumed by the next
    /// invocation. In Lambda each invocation's token comes from its deadline; the local invoke gives
    /// its one invocation this much time.
    /// </summary>
    public TimeSpan InvocationBudget { get; init; } = TimeSpan.FromSeconds(25);

    /// <exception cref="ConfigurationException">A variable is set but unusable.</exception>
    public static LambdaSettings FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        var defaults = new LambdaSettings();
        return new LambdaSettings
        {
            TrackerTable = NonEmpty(getVariable("TRACKER_TABLE")) ?? defaults.TrackerTable,
            LockTable = NonEmpty(getVariable("LOCK_TABLE")) ?? defaults.LockTable,
            StateMachineArn = NonEmpty(getVariable("STATE_MACHINE_ARN")),
            StaleBatchAfter = PositiveNumber(getVariable, "STALE_BATCH_AFTER_MINUTES", TimeSpan.FromMinutes) ?? defaults.StaleBatchAfter,
            InvocationBudget = PositiveNumber(getVariable, "INVOCATION_BUDGET_SECONDS", TimeSpan.FromSeconds) ?? defaults.InvocationBudget,
        };
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static TimeSpan? PositiveNumber(Func<string, string?> getVariable, string name, Func<double, TimeSpan> unit)
    {
        var text = NonEmpty(getVariable(name));
        if (text is null)
            return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0 || double.IsInfinity(value))
            throw new ConfigurationException($"{name} must be a positive number, found '{text}'.");
        return unit(value);
    }
}

/// <summary>The configuration cannot work; the message names the variable.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
