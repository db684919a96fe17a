using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KpiPipeline.Orchestration;
using KpiPipeline.Testing;

namespace KpiPipeline.StateMachine.Tests;

/// <summary>
/// statemachine/kpi-pipeline.asl.json as a document: valid ASL, only the contract's placeholders, and the
/// rules a deployment relies on but cannot check for itself (timeouts, exit codes by container name, every
/// failure path notified, unlocked and named).
/// </summary>
public sealed partial class DefinitionTests
{
    private static readonly string DefinitionPath = Path.Combine(RepositoryRoot.Find(), "statemachine", "kpi-pipeline.asl.json");

    private static readonly string[] ContractPlaceholders =
    [
        "ClusterArn", "ValidatorTaskDefinitionArn", "KpiJobTaskDefinitionArn", "SubnetA", "SubnetB",
        "SecurityGroupId", "SuccessTopicArn", "FailureTopicArn", "AcquireLockFunctionArn", "ReleaseLockFunctionArn",
    ];

    private static readonly string[] GrantedIntegrations =
        ["arn:aws:states:::ecs:runTask.sync", "arn:aws:states:::lambda:invoke", "arn:aws:states:::sns:publish"];

    [Fact]
    public async Task AslValidator_CheckedInDefinition_Passes()
    {
        var tools = NodeTools.Default;
        var start = tools.CreateStartInfo(tools.AslValidator, ["--json-path", DefinitionPath]);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, $"asl-validator: {await stdout} {await stderr}");
        Assert.Contains("is valid", await stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Placeholders_InDefinition_AreExactlyTheContractsTen() =>
        Assert.Equal(ContractPlaceholders.Order(), Placeholder().Matches(File.ReadAllText(DefinitionPath)).Select(m => m.Groups["name"].Value).Distinct().Order());

    [Fact]
    public void Placeholders_LocalValues_CoverEveryContractPlaceholder() =>
        Assert.Equal(ContractPlaceholders.Order(), new LocalStateMachineOptions { RepositoryRoot = "/", ValidatorCommand = [], KpiJobCommand = [] }.Substitutions().Keys.Order());

    [Fact]
    public void TaskStates_Every_HasATimeoutAndAGrantedIntegration() =>
        Assert.All(States().Where(s => Type(s.Value) == "Task"), state =>
        {
            Assert.True(state.Value!["TimeoutSeconds"] is not null, $"{state.Key} has no TimeoutSeconds");
            Assert.Contains((string?)state.Value["Resource"], GrantedIntegrations);
        });

    [Theory]
    [InlineData("ValidateData", "validator", "${ValidatorTaskDefinitionArn}")]
    [InlineData("TransformData", "kpi-job", "${KpiJobTaskDefinitionArn}")]
    public void EcsTask_ForEachContainer_OverridesItsCommandAndReadsItsExitCodeByName(string state, string container, string taskDefinition)
    {
        var task = States()[state]!;
        var parameters = task["Parameters"]!;
        var overrides = Assert.Single(parameters["Overrides"]!["ContainerOverrides"]!.AsArray());

        Assert.Equal(taskDefinition, (string?)parameters["TaskDefinition"]);
        Assert.Equal("ENABLED", (string?)parameters["NetworkConfiguration"]!["AwsvpcConfiguration"]!["AssignPublicIp"]);
        Assert.Equal(container, (string?)overrides!["Name"]);
        Assert.Contains("$.manifest_key", (string?)overrides["Command.$"], StringComparison.Ordinal);
        Assert.Equal($"$.Containers[?(@.Name == '{container}')].ExitCode", (string?)task["ResultSelector"]!["exit_codes.$"]);
        // The failure branch reads the same container out of the stopped task's description.
        Assert.Contains(States(), s => Type(s.Value) == "Pass"
            && ((string?)s.Value!["Parameters"]?["exit_codes.$"])?.EndsWith($".Containers[?(@.Name == '{container}')].ExitCode", StringComparison.Ordinal) == true);
    }

    [Theory]
    [InlineData("ValidateData")]
    [InlineData("TransformData")]
    public void EcsTask_Retry_NeverCoversTaskFailedSoExitCode2IsNotRetried(string state)
    {
        var errors = States()[state]!["Retry"]!.AsArray().SelectMany(r => r!["ErrorEquals"]!.AsArray().Select(e => (string)e!));

        Assert.DoesNotContain("States.TaskFailed", errors);
        Assert.DoesNotContain("States.ALL", errors);
    }

    [Theory]
    [InlineData("ValidateData")]
    [InlineData("TransformData")]
    public void EcsTask_EveryWayIn_FollowsATakenOrRenewedLease(string state)
    {
        // The lease (3 h) must not expire while a container runs (at most 2 h): it is taken or renewed right before.
        var states = States();
        var predecessors = Predecessors(states);

        Assert.All(predecessors[state], gate =>
        {
            Assert.Equal("Choice", Type(states[gate]));
            Assert.Equal("$.lock.acquired", (string?)states[gate]!["Choices"]![0]!["Variable"]);
            Assert.All(predecessors[gate], taker =>
                Assert.Equal("${AcquireLockFunctionArn}", (string?)states[taker]!["Parameters"]?["FunctionName"]));
        });
        Assert.NotEmpty(predecessors[state]);
    }

    [Fact]
    public void FailStates_AreTheNamedOutcomes() =>
        Assert.Equal(
            ["DateLockUnavailable", "TransformationFailed", "ValidationFailed"],
            States().Where(s => Type(s.Value) == "Fail").Select(s => s.Key).Order());

    [Fact]
    public void FailStates_EveryPathToOne_PublishesTheFailureAndReleasesTheLock()
    {
        var states = States();
        foreach (var (name, _) in states.Where(s => Type(s.Value) == "Fail"))
        {
            foreach (var path in PathsInto(states, name))
            {
                Assert.Contains("NotifyFailure", path);
                Assert.Contains("ReleaseLockAfterFailure", path);
                Assert.True(path.IndexOf("NotifyFailure") < path.IndexOf("ReleaseLockAfterFailure"), string.Join(" > ", path));
            }
        }
    }

    private static JsonObject States() => JsonNode.Parse(File.ReadAllText(DefinitionPath))!["States"]!.AsObject();

    private static string? Type(JsonNode? state) => (string?)state!["Type"];

    /// <summary>Every state a state can go to next: Next, Default, Choices, Catch.</summary>
    private static IEnumerable<string> Successors(JsonNode state)
    {
        if ((string?)state["Next"] is { } next)
            yield return next;
        if ((string?)state["Default"] is { } fallback)
            yield return fallback;
        foreach (var choice in state["Choices"]?.AsArray() ?? [])
            yield return (string)choice!["Next"]!;
        foreach (var catcher in state["Catch"]?.AsArray() ?? [])
            yield return (string)catcher!["Next"]!;
    }

    private static ILookup<string, string> Predecessors(JsonObject states) =>
        states.SelectMany(s => Successors(s.Value!).Select(next => (From: s.Key, To: next))).Distinct().ToLookup(e => e.To, e => e.From);

    /// <summary>The last stretch of every path into <paramref name="target"/>, back to the first non-failure state.</summary>
    private static List<List<string>> PathsInto(JsonObject states, string target)
    {
        var predecessors = Predecessors(states);
        var paths = new List<List<string>>();
        void Walk(string state, List<string> suffix)
        {
            var path = new List<string>(suffix);
            path.Insert(0, state);
            // A failure reason is recorded in a Pass state that sets $.failure: the path starts there.
            var recordsFailure = (string?)states[state]!["ResultPath"] == "$.failure";
            if (recordsFailure || path.Count > 12 || !predecessors[state].Any())
            {
                paths.Add(path);
                return;
            }
            foreach (var from in predecessors[state].Where(from => !path.Contains(from)))
                Walk(from, path);
        }
        Walk(target, []);
        return paths;
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z0-9_]+)\}")]
    private static partial Regex Placeholder();
}
