using System.Text.Json.Nodes;

namespace KpiPipeline.Infra.Tests.Support;

/// <summary>One resource of the template, with the logical id CloudFormation knows it by.</summary>
public sealed record TemplateResource(string LogicalId, JsonObject Node)
{
    public string Type => (string)Node["Type"]!;

    public JsonObject Properties => Node["Properties"]?.AsObject() ?? [];
}

/// <summary>One IAM statement and where it sits, so a failure names the policy to fix.</summary>
public sealed record PolicyStatementNode(string Owner, JsonObject Statement)
{
    public bool IsAllow => (string?)Statement["Effect"] == "Allow";

    public IReadOnlyList<string> Actions => TemplateJson.Strings(Statement["Action"]);

    /// <summary>Resources as raw JSON: a literal string, or an intrinsic such as Fn::GetAtt.</summary>
    public IReadOnlyList<JsonNode> Resources => Statement["Resource"] switch
    {
        JsonArray array => [.. array.Select(node => node!)],
        { } single => [single],
        null => [],
    };

    public override string ToString() => $"{Owner}: {Statement.ToJsonString()}";
}

/// <summary>Walks the synthesised template where the Assertions matchers cannot (every policy, every output).</summary>
public sealed class TemplateJson(JsonObject root)
{
    public JsonObject Root { get; } = root;

    public IEnumerable<TemplateResource> Resources(string type) =>
        Root["Resources"]!.AsObject()
            .Where(pair => (string?)pair.Value!["Type"] == type)
            .Select(pair => new TemplateResource(pair.Key, pair.Value!.AsObject()));

    public TemplateResource Resource(string logicalId) =>
        new(logicalId, Root["Resources"]![logicalId]?.AsObject()
            ?? throw new KeyNotFoundException($"No resource {logicalId} in the template."));

    /// <summary>The pipeline function serving <paramref name="name"/> (its KPI_FUNCTION).</summary>
    public TemplateResource Function(string name) =>
        Resources("AWS::Lambda::Function").Single(function =>
            (string?)function.Properties["Environment"]?["Variables"]?[PipelineFunctions.FunctionVariable] == name);

    /// <summary>The dashboard's body as JSON, each CloudFormation reference in it replaced by <c>${LogicalId}</c>.</summary>
    public JsonObject DashboardBody()
    {
        var body = Resources("AWS::CloudWatch::Dashboard").Single().Properties["DashboardBody"]!;
        var parts = body["Fn::Join"]?[1]?.AsArray() ?? [body];
        var text = string.Concat(parts.Select(part => part is JsonValue value ? (string)value! : $"${{{ReferencedLogicalId(part!)}}}"));
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>The resource an output's value is a {"Ref": …} to.</summary>
    public TemplateResource ResourceOfOutput(string outputName)
    {
        var value = Root["Outputs"]?[outputName]?["Value"]
            ?? throw new KeyNotFoundException($"No output {outputName} in the template.");
        return Resource(ReferencedLogicalId(value)
            ?? throw new InvalidOperationException($"Output {outputName} is {value.ToJsonString()}, not a reference."));
    }

    /// <summary>Every statement of every identity policy: AWS::IAM::Policy, ManagedPolicy and roles' inline policies.</summary>
    public IEnumerable<PolicyStatementNode> IdentityPolicyStatements()
    {
        foreach (var policy in Resources("AWS::IAM::Policy").Concat(Resources("AWS::IAM::ManagedPolicy")))
        {
            foreach (var statement in StatementsOf(policy.Properties["PolicyDocument"]))
                yield return new PolicyStatementNode(policy.LogicalId, statement);
        }

        foreach (var role in Resources("AWS::IAM::Role"))
        {
            foreach (var inline in role.Properties["Policies"]?.AsArray() ?? [])
            {
                foreach (var statement in StatementsOf(inline!["PolicyDocument"]))
                    yield return new PolicyStatementNode($"{role.LogicalId}/{inline["PolicyName"]}", statement);
            }
        }
    }

    /// <summary>Statements attached to the role a resource runs as (via AWS::IAM::Policy Roles).</summary>
    public IEnumerable<PolicyStatementNode> StatementsOfRole(string roleLogicalId) =>
        Resources("AWS::IAM::Policy")
            .Where(policy => (policy.Properties["Roles"]?.AsArray() ?? []).Any(role => ReferencedLogicalId(role!) == roleLogicalId))
            .SelectMany(policy => StatementsOf(policy.Properties["PolicyDocument"])
                .Select(statement => new PolicyStatementNode(policy.LogicalId, statement)));

    /// <summary>The logical id behind {"Ref": id} or {"Fn::GetAtt": [id, attribute]}; null for anything else.</summary>
    public static string? ReferencedLogicalId(JsonNode node) => node switch
    {
        JsonObject o when o["Ref"] is JsonValue reference => (string)reference!,
        JsonObject o when o["Fn::GetAtt"] is JsonArray getAtt => (string)getAtt[0]!,
        _ => null,
    };

    /// <summary>Every logical id referenced anywhere below <paramref name="node"/>.</summary>
    public static IEnumerable<string> ReferencedLogicalIds(JsonNode? node)
    {
        if (node is null)
            yield break;
        if (ReferencedLogicalId(node) is { } id)
            yield return id;
        var children = node switch
        {
            JsonObject o => o.Select(pair => pair.Value),
            JsonArray a => a.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var nested in ReferencedLogicalIds(child))
                yield return nested;
        }
    }

    public static IReadOnlyList<string> Strings(JsonNode? node) => node switch
    {
        JsonArray array => [.. array.Select(item => (string)item!)],
        JsonValue value => [(string)value!],
        _ => [],
    };

    private static IEnumerable<JsonObject> StatementsOf(JsonNode? document) =>
        document?["Statement"] switch
        {
            JsonArray statements => statements.Select(statement => statement!.AsObject()),
            JsonObject single => [single],
            _ => [],
        };
}
