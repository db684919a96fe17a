using KpiPipeline.Lake;

namespace KpiPipeline.Pipeline;

/// <summary>
/// A test hook for crash tests with real kills: <c>KPI_JOB_PAUSE_AT=&lt;point&gt;</c> makes the run write
/// <c>kpi-job paused at &lt;point&gt;</c> to standard error when it reaches the point (once) and block on standard
/// input, so a test can kill it exactly there without timing. Points: each step boundary (<c>starting</c> between a
/// claim and its run's start, <c>claimed</c>, <c>validated</c>, <c>transformed</c>, <c>stored</c>, <c>archived</c>) and
/// the middle of a step (<c>validating</c> after the first file moved, <c>transforming</c> after the first curated
/// object, <c>archiving</c> after the first file archived). Storing KPIs is one SQLite transaction and has no middle.
/// </summary>
public sealed class StepPause(string? point, TextWriter announce, TextReader wait)
{
    public const string Variable = "KPI_JOB_PAUSE_AT";

    public const string Starting = "starting";
    public const string Validating = "validating";
    public const string Transforming = "transforming";
    public const string Archiving = "archiving";

    private readonly Lock _gate = new();
    private bool _paused;

    public static StepPause None { get; } = new(null, TextWriter.Null, TextReader.Null);

    public bool Enabled => point is not null;

    public static StepPause FromEnvironment() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } point ? new StepPause(point, Console.Error, Console.In) : None;

    public void At(string reached)
    {
        if (point != reached)
            return;
        lock (_gate)
        {
            if (_paused)
                return;
            _paused = true;
        }
        announce.WriteLine($"kpi-job paused at {reached}");
        announce.Flush();
        wait.ReadLine();
    }

    /// <summary>The store seen through the mid-step points (only when a point is set: otherwise the store itself).</summary>
    public IObjectStore Watch(IObjectStore store) => Enabled ? new PausingObjectStore(store, this) : store;

    private sealed class PausingObjectStore(IObjectStore inner, StepPause pause) : IObjectStore
    {
        public string Describe(string key) => inner.Describe(key);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => inner.ExistsAsync(key, cancellationToken);

        public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => inner.OpenReadAsync(key, cancellationToken);

        public async Task<IObjectWriter> CreateAsync(string key, CancellationToken cancellationToken) =>
            new Writer(await inner.CreateAsync(key, cancellationToken).ConfigureAwait(false), () => Written(key));

        public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            await inner.PutAsync(key, content, cancellationToken).ConfigureAwait(false);
            Written(key);
        }

        public async Task<bool> MoveAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
        {
            var moved = await inner.MoveAsync(sourceKey, destinationKey, cancellationToken).ConfigureAwait(false);
            if (destinationKey.StartsWith(LakeLayout.StagePrefix(Stage.Processed), StringComparison.Ordinal))
                pause.At(Archiving);
            else if (destinationKey.StartsWith(LakeLayout.StagePrefix(Stage.Validated), StringComparison.Ordinal)
                || destinationKey.StartsWith(LakeLayout.StagePrefix(Stage.Invalid), StringComparison.Ordinal))
                pause.At(Validating);
            return moved;
        }

        public Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken) => inner.CopyAsync(sourceKey, destinationKey, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

        private void Written(string key)
        {
            if (key.StartsWith("curated/order_lines/", StringComparison.Ordinal))
                pause.At(Transforming);
        }

        private sealed class Writer(IObjectWriter inner, Action committed) : IObjectWriter
        {
            public Stream Stream => inner.Stream;

            public async Task CommitAsync(CancellationToken cancellationToken)
            {
                await inner.CommitAsync(cancellationToken).ConfigureAwait(false);
                committed();
            }

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
