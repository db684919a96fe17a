using System.Text.Json.Nodes;

namespace KpiPipeline.Infra.Tests.Support;

/// <summary>Reads what the infrastructure depends on from the checked-in ASL file, whatever its states are called.</summary>
public static class StateMachineDefinition
{
    /// <summary>Every container named in an ECS ContainerOverrides anywhere in the definition (JSONPath or JSONata).</summary>
    public static IReadOnlyList<string> ContainerOverrideNames(string path) =>
        [.. Walk(JsonNode.Parse(File.ReadAllText(path)))
            .OfType<JsonObject>()
            .Select(node => node["ContainerOverrides"])
            .OfType<JsonArray>()
            .SelectMany(overrides => overrides.Select(entry => (string?)entry?["Name"]))
            .OfType<string>()
            .Distinct()];

    private static IEnumerable<JsonNode> Walk(JsonNode? node)
    {
        if (node is null)
            yield break;
        yield return node;
        var children = node switch
        {
            JsonObject o => o.Select(pair => pair.Value),
            JsonArray a => a.AsEnumerable(),
            _ => [],
        };
        foreach (var descendant in children.SelectMany(Walk))
            yield return descendant;
    }
}
