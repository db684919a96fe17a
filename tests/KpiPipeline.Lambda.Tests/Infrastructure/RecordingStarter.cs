using System.Collections.Concurrent;
using KpiPipeline.Batching;

namespace KpiPipeline.Lambda.Tests.Infrastructure;

/// <summary>
/// Step Functions' naming rule in memory: the first start of a name starts an execution, any later one
/// answers "already exists". <see cref="Started"/> holds the executions, <see cref="Calls"/> every attempt.
/// </summary>
internal sealed class RecordingStarter : IExecutionStarter
{
    private readonly ConcurrentDictionary<string, BatchExecutionInput> _started = new(StringComparer.Ordinal);
    private int _calls;

    public IReadOnlyDictionary<string, BatchExecutionInput> Started => _started;

    public int Calls => Volatile.Read(ref _calls);

    public Task<ExecutionStart> StartAsync(BatchExecutionInput input, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        var isNew = _started.TryAdd(input.ExecutionName, input);
        if (!isNew && _started[input.ExecutionName] != input)
            throw new InvalidOperationException($"{input.ExecutionName} was started again with a different input.");
        return Task.FromResult(new ExecutionStart(input.ExecutionName, isNew ? $"arn:aws:states:us-east-1:000000000000:execution:kpi:{input.ExecutionName}" : null, !isNew));
    }
}

/// <summary>Fails the next start like a Lambda dying between its claim and the start (or just after the start).</summary>
internal sealed class CrashingStarter(IExecutionStarter inner, bool crashAfterStart = false) : IExecutionStarter
{
    private int _crashesLeft = 1;

    public async Task<ExecutionStart> StartAsync(BatchExecutionInput input, CancellationToken cancellationToken)
    {
        var crash = Interlocked.Exchange(ref _crashesLeft, 0) == 1;
        if (crash && !crashAfterStart)
            throw new InjectedCrashException($"crash injected before starting {input.ExecutionName}");
        var result = await inner.StartAsync(input, cancellationToken);
        if (crash)
            throw new InjectedCrashException($"crash injected after starting {input.ExecutionName}");
        return result;
    }
}

internal sealed class InjectedCrashException(string message) : Exception(message);
