using System.Text.Json;
using System.Text.Json.Serialization;
using KpiPipeline.Contracts;

namespace KpiPipeline.Validation;

public enum BatchOutcome
{
    /// <summary>The KPI job may run (some rows may have been rejected). Exit code 0.</summary>
    Valid,

    /// <summary>A data problem no retry will fix: products unusable, or no orders or no order_items file survived. Exit code 2.</summary>
    Rejected,
}

/// <summary>Where a manifest file ended up after this run.</summary>
public enum FileDisposition
{
    /// <summary>Validated by this run; its good rows are in <c>validated/</c> (products: validated in place).</summary>
    Validated,

    /// <summary>Quarantined whole by this run: moved to <c>invalid/</c> with an errors file.</summary>
    Quarantined,

    /// <summary>Already in <c>validated/</c> from an earlier run: not validated again, counted for the batch's keys.</summary>
    AlreadyValidated,

    /// <summary>Already in <c>processed/</c>: not validated again, counted for the batch's keys.</summary>
    AlreadyProcessed,

    /// <summary>Already in <c>invalid/</c> from an earlier run.</summary>
    AlreadyQuarantined,

    /// <summary>Products were unusable, so this file was left in <c>raw/</c> untouched for a later run.</summary>
    NotValidated,

    /// <summary>In no stage of the lake.</summary>
    Missing,
}

/// <summary>The outcome for one file of the manifest.</summary>
/// <param name="Key">The raw key, as the manifest lists it.</param>
/// <param name="Destination">Where the file's good rows (or the quarantined file) are now; null when nowhere.</param>
/// <param name="RowsRead">Data rows (records after the header, blank lines excluded).</param>
/// <param name="BlankLines">Empty lines, which are neither data nor rejects.</param>
/// <param name="RejectedByRule">Rejected rows per rule id; each row counts once, under the first rule it broke.</param>
/// <param name="OffDateRows">Orders whose created_at falls on another UTC date than the batch (accepted).</param>
/// <param name="FileError">Why the whole file was quarantined, when it was.</param>
/// <param name="Examples">The first few row rejections.</param>
/// <param name="RejectedBeyondCap">Rejected rows counted but not written, because the rejects file reached its cap (rows or bytes).</param>
/// <param name="Quality">The frame-level checks' profile and expectation results, when the file was inspected.</param>
public sealed record FileValidationResult(
    string Key,
    Dataset Dataset,
    FileDisposition Disposition,
    string? Destination,
    long RowsRead,
    long Accepted,
    long Rejected,
    long BlankLines,
    IReadOnlyDictionary<string, long> RejectedByRule,
    long OffDateRows,
    string? RejectsKey,
    string? ErrorsKey,
    Violation? FileError,
    IReadOnlyList<Violation> Examples,
    long RejectedBeyondCap = 0,
    FileQuality? Quality = null)
{
    /// <summary>The file's rows are available to the KPI job.</summary>
    [JsonIgnore]
    public bool Survives => Disposition is FileDisposition.Validated or FileDisposition.AlreadyValidated or FileDisposition.AlreadyProcessed;
}

/// <summary>The validator's answer for one batch manifest: printed on stdout and stored as the report.</summary>
public sealed record BatchValidationResult(
    string BatchId,
    int Version,
    string ManifestKey,
    BatchOutcome Outcome,
    string? RejectionReason,
    DateTimeOffset ValidatedAt,
    IReadOnlyList<FileValidationResult> Files,
    string ReportKey,
    string SummaryKey,
    string Summary)
{
    /// <summary>snake_case names and enum values, as the state machine and the report readers expect.</summary>
    internal static ValidationJsonContext Json { get; } = new(CreateJsonOptions());

    /// <summary>The process exit code the contract gives this outcome.</summary>
    [JsonIgnore]
    public int ExitCode => Outcome == BatchOutcome.Valid ? 0 : 2;

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json.BatchValidationResult);

    /// <summary>Reads a report written by <see cref="ToJson"/> (<c>logs/validation/…/*.json</c>).</summary>
    /// <exception cref="InvalidDataException">The stream does not hold a report.</exception>
    public static async Task<BatchValidationResult> ReadJsonAsync(Stream utf8Json, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(utf8Json, Json.BatchValidationResult, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException("not a validation report: null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a validation report: {e.Message}", e);
        }
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        // One converter per enum the reports hold: the generic converter needs no code generated at run time.
        options.Converters.Add(new JsonStringEnumConverter<BatchOutcome>(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new JsonStringEnumConverter<FileDisposition>(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new JsonStringEnumConverter<Dataset>(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new JsonStringEnumConverter<RuleLevel>(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new JsonStringEnumConverter<ColumnKind>(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new JsonStringEnumConverter<ExpectationStatus>(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new RuleIdConverter());
        return options;
    }

    /// <summary>A rule is written as its id; the catalogue has the rest.</summary>
    private sealed class RuleIdConverter : JsonConverter<ValidationRule>
    {
        public override ValidationRule Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var id = reader.GetString();
            return (id is null ? null : ValidationRules.Find(id)) ?? throw new JsonException($"Unknown validation rule '{id}'.");
        }

        public override void Write(Utf8JsonWriter writer, ValidationRule value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.Id);
    }
}

/// <summary>Source-generated serialisation of the validator's reports (no reflection at run time, Native AOT).</summary>
[JsonSerializable(typeof(BatchValidationResult))]
[JsonSerializable(typeof(FileValidator.QuarantineRecord))]
internal sealed partial class ValidationJsonContext : JsonSerializerContext;
