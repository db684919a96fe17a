using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>How a <see cref="SparkConnectClient"/> times its calls; the connection itself is the connection string.</summary>
public sealed record SparkConnectClientOptions
{
    /// <summary>A refused connection fails at once; this bounds the silent cases (dropped SYNs, a wrong VPC). Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The deadline of one query or statement, reattaches included; null (the default) means none, since a
    /// Spark job may rightly run for an hour: callers cancel instead.
    /// </summary>
    public TimeSpan? OperationTimeout { get; init; }

    /// <summary>The deadline of the small calls: AnalyzePlan, ReleaseExecute, ReleaseSession. Default 30 s.</summary>
    public TimeSpan ControlCallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often in a row a broken stream (reset, connection lost) is followed by ReattachExecute before the
    /// call fails; a response received in between starts the count again. Default 3.
    /// </summary>
    public int MaxReattachAfterFailure { get; init; } = 3;

    /// <summary>
    /// How many streams in a row may end without any response before the execution is given up. A server ends a
    /// reattachable stream after about two minutes, so the default of 100 waits several hours for a silent
    /// (Spark 3.5) server while still ending a server that answers nothing at all.
    /// </summary>
    public int MaxEmptyStreams { get; init; } = 100;

    /// <summary>The clock deadlines are computed from.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where best-effort failures (releasing an execution or the session) are logged.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}
