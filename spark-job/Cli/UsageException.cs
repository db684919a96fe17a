namespace KpiPipeline.SparkJob.Cli;

/// <summary>The user asked for something the command cannot do; reported as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
