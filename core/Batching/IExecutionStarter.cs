using System.Globalization;
using System.Text.Json.Serialization;

namespace KpiPipeline.Batching;

/// <summary>
/// Starts one run of a claimed batch version. Implementations: Step Functions in AWS (adapters/aws); the
/// local <c>run</c>'s starter, which runs the batch in-process or through the local state machine.
/// </summary>
public interface IExecutionStarter
{
    /// <summary>
    /// Starts the execution <paramref name="input"/>.<see cref="BatchExecutionInput.ExecutionName"/>. Starting
    /// a name that was already started with the same input is not an error: it returns with
    /// <see cref="ExecutionStart.AlreadyExisted"/> set, which is what makes a retried start safe.
    /// </summary>
    Task<ExecutionStart> StartAsync(BatchExecutionInput input, CancellationToken cancellationToken);
}

/// <summary>The state machine's input (docs/architecture.md, "State machine").</summary>
public sealed record BatchExecutionInput(
    [property: JsonPropertyName("bucket")] string Bucket,
    [property: JsonPropertyName("batch_id")] string BatchId,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("manifest_key")] string ManifestKey)
{
    /// <summary><c>&lt;batch_id&gt;-v&lt;version&gt;</c>: deterministic, so a second start of one version is refused.</summary>
    [JsonIgnore]
    public string ExecutionName => NameFor(BatchId, Version);

    public static string NameFor(string batchId, int version) => $"{batchId}-v{version.ToString(CultureInfo.InvariantCulture)}";
}

/// <param name="ExecutionArn">The execution's ARN when the service returned one.</param>
/// <param name="AlreadyExisted">The name had been started before (by this or an earlier attempt).</param>
public sealed record ExecutionStart(string ExecutionName, string? ExecutionArn, bool AlreadyExisted);
