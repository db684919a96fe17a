using System.Globalization;
using System.Text.Json.Serialization;
using KpiPipeline.Validation;

namespace KpiPipeline.Validator.Profiling;

/// <summary>
/// Where a measured value is fine, worth a warning, or reason to reject the file. Each bound is optional:
/// a value below <see cref="WarnMin"/> or above <see cref="WarnMax"/> is a warning; below
/// <see cref="RejectMin"/> or above <see cref="RejectMax"/> it quarantines the file.
/// </summary>
public sealed record ExpectationBounds(
    [property: JsonPropertyName("warn_min")] double? WarnMin = null,
    [property: JsonPropertyName("warn_max")] double? WarnMax = null,
    [property: JsonPropertyName("reject_min")] double? RejectMin = null,
    [property: JsonPropertyName("reject_max")] double? RejectMax = null)
{
    public ExpectationStatus Judge(double observed) =>
        observed < RejectMin || observed > RejectMax ? ExpectationStatus.Rejected
        : observed < WarnMin || observed > WarnMax ? ExpectationStatus.Warning
        : ExpectationStatus.Met;

    /// <summary>Throws when a bound is not a finite number or a minimum exceeds its maximum.</summary>
    public void Validate(string id)
    {
        foreach (var bound in new[] { WarnMin, WarnMax, RejectMin, RejectMax })
        {
            if (bound is { } value && !double.IsFinite(value))
                throw new InvalidDataException($"expectation {id}: bounds must be finite numbers");
        }
        if (WarnMin > WarnMax || RejectMin > RejectMax)
            throw new InvalidDataException($"expectation {id}: a minimum is above its maximum");
    }

    /// <summary>"warn outside [0, 0.2], reject above 0.6".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Range(WarnMin, WarnMax) is { } warn)
            parts.Add("warn " + warn);
        if (Range(RejectMin, RejectMax) is { } reject)
            parts.Add("reject " + reject);
        return parts.Count == 0 ? "report only" : string.Join(", ", parts);
    }

    private static string? Range(double? min, double? max) => (min, max) switch
    {
        (null, null) => null,
        ({ } low, null) => $"below {Number(low)}",
        (null, { } high) => $"above {Number(high)}",
        ({ } low, { } high) => $"outside [{Number(low)}, {Number(high)}]",
    };

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
