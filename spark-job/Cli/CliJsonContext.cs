using System.Text.Json.Serialization;
using KpiPipeline.Orchestration;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>Source-generated serialisation of what the command line prints and hands to the local state machine (no reflection at run time, Native AOT).</summary>
[JsonSerializable(typeof(RunStats))]
[JsonSerializable(typeof(List<BatchesCommand.BatchRow>))]
[JsonSerializable(typeof(LocalExecutionInput))]
[JsonSerializable(typeof(Dictionary<string, IReadOnlyList<string>>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
