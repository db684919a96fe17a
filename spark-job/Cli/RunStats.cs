using System.Text.Json.Serialization;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>What <c>run --stats</c> prints: the figures the benchmark reports (KPI job phases summed over batches).</summary>
internal sealed record RunStats(
    [property: JsonPropertyName("batches")] int Batches,
    [property: JsonPropertyName("validation_seconds")] double ValidationSeconds,
    [property: JsonPropertyName("transform_seconds")] double TransformSeconds,
    [property: JsonPropertyName("peak_working_set_bytes")] long PeakWorkingSetBytes)
{
    [JsonPropertyName("read_orders_seconds")]
    public double ReadOrdersSeconds { get; init; }

    [JsonPropertyName("join_and_write_seconds")]
    public double JoinAndWriteSeconds { get; init; }

    [JsonPropertyName("kpis_seconds")]
    public double KpisSeconds { get; init; }

    [JsonPropertyName("store_seconds")]
    public double StoreSeconds { get; init; }

    [JsonPropertyName("archive_seconds")]
    public double ArchiveSeconds { get; init; }
}
