using System.Text.Json;
using System.Text.Json.Serialization;

namespace KpiPipeline.Validator.Profiling;

/// <summary>
/// How much of each file the frame-level checks see and the bounds of every expectation. The defaults are the
/// production settings; a JSON file (<c>--expectations</c>) overrides the sample sizes and any expectation's bounds.
/// </summary>
public sealed record ExpectationSettings
{
    /// <summary>Accepted rows of an orders or order_items file that are profiled: the first ones. Default 10,000.</summary>
    public int SampleRows { get; init; } = 10_000;

    /// <summary>
    /// Accepted rows of the products master data checked as one frame (uniqueness needs them all). Default
    /// 100,000; a larger catalogue is checked on its first rows and the report says so.
    /// </summary>
    public int ProductRows { get; init; } = 100_000;

    /// <summary>Bounds by expectation id; an id the file does not name keeps its default.</summary>
    public IReadOnlyDictionary<string, ExpectationBounds> Bounds { get; init; } = Expectations.DefaultBounds;

    public static ExpectationSettings Default { get; } = new();

    public ExpectationBounds For(string id) => Bounds.TryGetValue(id, out var bounds) ? bounds : Expectations.DefaultBounds[id];

    /// <summary>Reads a settings file; its expectations replace the defaults of the ids it names.</summary>
    /// <exception cref="InvalidDataException">The file is not valid settings (unknown id, bad bound, bad JSON).</exception>
    public static async Task<ExpectationSettings> LoadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        SettingsFile? read;
        try
        {
            read = await JsonSerializer.DeserializeAsync(stream, Json.SettingsFile, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid expectation settings: {e.Message}", e);
        }
        if (read is null)
            throw new InvalidDataException($"{path}: not valid expectation settings: null");
        var settings = Default with
        {
            SampleRows = read.SampleRows ?? Default.SampleRows,
            ProductRows = read.ProductRows ?? Default.ProductRows,
            Bounds = read.Expectations ?? Default.Bounds,
        };
        try
        {
            return settings.WithDefaults();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Completes the bounds with the defaults of the ids not given, and checks every value.</summary>
    public ExpectationSettings WithDefaults()
    {
        if (SampleRows < 1 || ProductRows < 1)
            throw new InvalidDataException("sample_rows and product_rows must be at least 1");
        var bounds = new Dictionary<string, ExpectationBounds>(Expectations.DefaultBounds, StringComparer.Ordinal);
        foreach (var (id, given) in Bounds)
        {
            if (!Expectations.DefaultBounds.ContainsKey(id))
                throw new InvalidDataException($"unknown expectation '{id}' (known: {string.Join(", ", Expectations.DefaultBounds.Keys)})");
            given.Validate(id);
            bounds[id] = given;
        }
        return this with { Bounds = bounds };
    }

    /// <summary>
    /// The file as written: every member optional. Read into its own shape because generated deserializers set
    /// every init-only property of the type they create, so a member the file leaves out would read as zero
    /// instead of keeping its default.
    /// </summary>
    internal sealed record SettingsFile(
        [property: JsonPropertyName("sample_rows")] int? SampleRows,
        [property: JsonPropertyName("product_rows")] int? ProductRows,
        [property: JsonPropertyName("expectations")] Dictionary<string, ExpectationBounds>? Expectations);

    private static readonly ExpectationSettingsJsonContext Json = new(new JsonSerializerOptions
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    });
}

/// <summary>Source-generated reading of a settings file (no reflection at run time, Native AOT).</summary>
[JsonSerializable(typeof(ExpectationSettings.SettingsFile))]
internal sealed partial class ExpectationSettingsJsonContext : JsonSerializerContext;
