using System.Collections.Concurrent;
using KpiPipeline.Batching;
using KpiPipeline.Orchestration;

namespace KpiPipeline.Lambda.Local;

/// <summary>
/// <see cref="IExecutionStarter"/> that starts the state machine on this machine (<see cref="LocalStateMachine"/>),
/// so the whole event path — S3 event, aggregator, state machine, containers — runs without AWS. Like
/// StartExecution it returns once the execution has started; <see cref="WaitAsync"/> gives its result. A name
/// started before is refused the way Step Functions refuses it (<see cref="ExecutionStart.AlreadyExisted"/>).
/// </summary>
public sealed class LocalStateMachineStarter(LocalStateMachine machine) : IExecutionStarter, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<LocalExecutionResult>>> _executions = new(StringComparer.Ordinal);
    // Executions outlive the handler invocation that started them (and its budget token), as in AWS.
    private readonly CancellationTokenSource _lifetime = new();

    /// <summary>The names started so far.</summary>
    public IReadOnlyCollection<string> ExecutionNames => _executions.Keys.ToList();

    public Task<ExecutionStart> StartAsync(BatchExecutionInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        cancellationToken.ThrowIfCancellationRequested();
        var local = new LocalExecutionInput(input.Bucket, input.BatchId, input.Version, input.ManifestKey);
        var started = new Lazy<Task<LocalExecutionResult>>(() => Task.Run(() => machine.RunAsync(local, _lifetime.Token)));
        var existing = _executions.GetOrAdd(input.ExecutionName, started);
        var alreadyExisted = !ReferenceEquals(existing, started);
        _ = existing.Value;
        return Task.FromResult(new ExecutionStart(input.ExecutionName, ArnOf(input.ExecutionName), alreadyExisted));
    }

    /// <summary>The result of a started execution, once it has ended.</summary>
    /// <exception cref="KeyNotFoundException">No execution of that name was started.</exception>
    public Task<LocalExecutionResult> WaitAsync(string executionName, CancellationToken cancellationToken) =>
        _executions.TryGetValue(executionName, out var execution)
            ? execution.Value.WaitAsync(cancellationToken)
            : throw new KeyNotFoundException($"No local execution named {executionName} was started (started: {string.Join(", ", ExecutionNames)}).");

    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        foreach (var execution in _executions.Values.Where(e => e.IsValueCreated))
        {
            try
            {
                await execution.Value.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or LocalStateMachineException)
            {
                // Cancelled by the dispose itself, or a failure its waiter has already seen.
            }
        }
        _lifetime.Dispose();
    }

    private string ArnOf(string name) =>
        $"arn:aws:states:{machine.Options.Region}:{LocalStateMachineOptions.LocalAccount}:execution:kpi-pipeline:{name}";
}
