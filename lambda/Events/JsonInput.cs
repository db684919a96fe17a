using System.Globalization;
using System.Text.Json;

namespace KpiPipeline.Lambda.Events;

/// <summary>
/// Reads handler input with messages that locate the problem (<c>Records[1].s3.object.key is missing</c>)
/// instead of a deserializer's NullReferenceException further down.
/// </summary>
internal static class JsonInput
{
    public static async Task<JsonDocument> ParseAsync(Stream input, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonDocument.ParseAsync(input, default, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new InvalidEventException($"The {what} is not valid JSON: {e.Message}", e);
        }
    }

    public static JsonElement Object(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidEventException($"{Describe(path)} must be a JSON object, found {Kind(element)}.");
        return element;
    }

    public static JsonElement RequiredObject(JsonElement parent, string name, string parentPath) =>
        Object(Required(parent, name, parentPath), Join(parentPath, name));

    public static string RequiredString(JsonElement parent, string name, string parentPath)
    {
        var value = Required(parent, name, parentPath);
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw new InvalidEventException($"{Join(parentPath, name)} must be a non-empty string, found {Kind(value)}.");
        return value.GetString()!;
    }

    public static string? OptionalString(JsonElement parent, string name, string parentPath)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.String)
            throw new InvalidEventException($"{Join(parentPath, name)} must be a string, found {Kind(value)}.");
        return value.GetString();
    }

    public static long? OptionalInteger(JsonElement parent, string name, string parentPath)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        // Step Functions passes numbers; a hand-written event may quote them. Both mean the same.
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
            return number;
        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out number))
            return number;
        throw new InvalidEventException($"{Join(parentPath, name)} must be an integer, found {Kind(value)}.");
    }

    public static JsonElement.ArrayEnumerator RequiredArray(JsonElement parent, string name, string parentPath)
    {
        var value = Required(parent, name, parentPath);
        if (value.ValueKind != JsonValueKind.Array)
            throw new InvalidEventException($"{Join(parentPath, name)} must be an array, found {Kind(value)}.");
        return value.EnumerateArray();
    }

    public static string Join(string parentPath, string name) => parentPath.Length == 0 ? name : $"{parentPath}.{name}";

    private static JsonElement Required(JsonElement parent, string name, string parentPath)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new InvalidEventException($"{Join(parentPath, name)} is missing.");
        return value;
    }

    private static string Describe(string path) => path.Length == 0 ? "The input" : path;

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Truncate(element.GetString() ?? "")}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
