namespace KpiPipeline;

/// <summary>
/// The process exit codes every entry point (kpi-job, validator, the Lambda executable's commands) uses,
/// because the state machine and the container task retry on one and not on the other.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>An infrastructure failure: retrying may help.</summary>
    public const int Failure = 1;

    /// <summary>Bad arguments or bad data: retrying will not help.</summary>
    public const int Rejected = 2;

    /// <summary>Stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}
