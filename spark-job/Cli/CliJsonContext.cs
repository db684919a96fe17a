using System.Text.Json.Serialization;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>Source-generated serialisation of what the command line prints (no reflection at run time, Native AOT).</summary>
[JsonSerializable(typeof(RunStats))]
[JsonSerializable(typeof(List<BatchesCommand.BatchRow>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
