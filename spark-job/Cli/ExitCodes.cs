namespace KpiPipeline.SparkJob.Cli;

/// <summary>Exit codes the state machine acts on.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>An infrastructure failure: retrying may help.</summary>
    public const int Failure = 1;

    /// <summary>Bad arguments or bad data: retrying will not help.</summary>
    public const int Rejected = 2;

    public const int Cancelled = 130;
}
