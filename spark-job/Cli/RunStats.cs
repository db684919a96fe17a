using System.Text.Json.Serialization;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>What <c>run --stats</c> prints: the figures the benchmark reports.</summary>
internal sealed record RunStats(
    [property: JsonPropertyName("batches")] int Batches,
    [property: JsonPropertyName("validation_seconds")] double ValidationSeconds,
    [property: JsonPropertyName("transform_seconds")] double TransformSeconds,
    [property: JsonPropertyName("peak_working_set_bytes")] long PeakWorkingSetBytes);
