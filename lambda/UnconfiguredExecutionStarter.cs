using KpiPipeline.Batching;

namespace KpiPipeline.Lambda;

/// <summary>Stands in where <c>STATE_MACHINE_ARN</c> is not set, so only a start needs it (the lock handlers do not).</summary>
internal sealed class UnconfiguredExecutionStarter : IExecutionStarter
{
    public Task<ExecutionStart> StartAsync(BatchExecutionInput input, CancellationToken cancellationToken) =>
        throw new ConfigurationException($"STATE_MACHINE_ARN is not set, so execution '{input.ExecutionName}' cannot be started.");
}
