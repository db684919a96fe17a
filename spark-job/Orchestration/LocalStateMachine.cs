using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace KpiPipeline.Orchestration;

/// <summary>The state machine's execution input (docs/architecture.md, "State machine").</summary>
public sealed record LocalExecutionInput(
    [property: JsonPropertyName("bucket")] string Bucket,
    [property: JsonPropertyName("batch_id")] string BatchId,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("manifest_key")] string ManifestKey)
{
    /// <summary><c>&lt;batch_id&gt;-v&lt;version&gt;</c>, as in AWS.</summary>
    [JsonIgnore]
    public string ExecutionName => $"{BatchId}-v{Version.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>How one local execution ended.</summary>
/// <param name="Status"><c>SUCCEEDED</c> or <c>FAILED</c>.</param>
/// <param name="Output">The execution's output when it succeeded (the batch summary).</param>
/// <param name="Error">The Fail state's error (<c>ValidationFailed</c>, …) or the uncaught error.</param>
/// <param name="States">Every state entered, in order (a retried task appears once per attempt).</param>
/// <param name="EnteredAt">When each of <paramref name="States"/> was entered.</param>
/// <param name="Log">What the scripts and the executables wrote to standard error.</param>
public sealed record LocalExecutionResult(
    string ExecutionName, string Status, JsonNode? Output, string? Error, string? Cause,
    IReadOnlyList<string> States, IReadOnlyList<DateTimeOffset> EnteredAt, string Log)
{
    public bool Succeeded => Status == "SUCCEEDED";

    public int TimesEntered(string state) => States.Count(s => s == state);

    /// <summary>When <paramref name="state"/> was first entered.</summary>
    /// <exception cref="InvalidOperationException">It never was.</exception>
    public DateTimeOffset FirstEntered(string state)
    {
        var index = States.ToList().IndexOf(state);
        return index < 0 ? throw new InvalidOperationException($"{ExecutionName} never entered {state}.") : EnteredAt[index];
    }
}

/// <summary>The local execution could not run at all (the tools are missing, the definition is broken).</summary>
public sealed class LocalStateMachineException(string message) : Exception(message);

/// <summary>
/// Runs the checked-in ASL definition on aws-local-stepfunctions (the engine of <c>local-sfn</c>), one
/// execution per call, with every Task state answered by a script of <c>statemachine/local/</c> chosen by its
/// Resource: ECS tasks run the validator and KPI job executables on the same lake, SNS publishes go to a local
/// SNS (fauxqs) or a file, and the lock functions run the Lambda's own handlers. The deploy-time placeholders
/// get local values; nothing reaches AWS.
/// </summary>
public sealed partial class LocalStateMachine(LocalStateMachineOptions options)
{
    private static readonly Dictionary<string, string> ScriptByResource = new(StringComparer.Ordinal)
    {
        ["arn:aws:states:::ecs:runTask.sync"] = "ecs-run-task.mjs",
        ["arn:aws:states:::lambda:invoke"] = "lambda-invoke.mjs",
        ["arn:aws:states:::sns:publish"] = "sns-publish.mjs",
    };

    public LocalStateMachineOptions Options => options;

    /// <summary>Runs one execution to its end; a failed execution is a result, not an exception.</summary>
    /// <exception cref="LocalStateMachineException">The execution could not start or its runner crashed.</exception>
    public async Task<LocalExecutionResult> RunAsync(LocalExecutionInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var workDirectory = Path.Combine(Path.GetTempPath(), "kpi-local-sfn", $"{input.ExecutionName}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(workDirectory);
        try
        {
            var definition = await LoadDefinitionAsync(cancellationToken).ConfigureAwait(false);
            var definitionFile = Path.Combine(workDirectory, "definition.asl.json");
            await File.WriteAllTextAsync(definitionFile, definition.ToJsonString(), cancellationToken).ConfigureAwait(false);
            var configFile = Path.Combine(workDirectory, "execution.json");
            var config = BuildConfig(definition, definitionFile, input);
            await File.WriteAllTextAsync(configFile, config.ToJsonString(), cancellationToken).ConfigureAwait(false);
            return await RunRunnerAsync(input.ExecutionName, configFile, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(workDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless; the result matters more.
            }
        }
    }

    /// <summary>The definition with every placeholder replaced by its local value.</summary>
    /// <exception cref="LocalStateMachineException">A placeholder has no local value.</exception>
    public async Task<JsonObject> LoadDefinitionAsync(CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(options.DefinitionPath, cancellationToken).ConfigureAwait(false);
        var substitutions = options.Substitutions();
        var unknown = Placeholder().Matches(text).Select(m => m.Groups["name"].Value).Where(n => !substitutions.ContainsKey(n)).Distinct().ToList();
        if (unknown.Count > 0)
            throw new LocalStateMachineException($"{options.DefinitionPath} uses placeholder(s) with no local value: {string.Join(", ", unknown)}.");
        // Every placeholder sits inside a JSON string and the local values need no escaping, so a textual
        // replacement is what CloudFormation does too.
        var substituted = Placeholder().Replace(text, m => substitutions[m.Groups["name"].Value]);
        return JsonNode.Parse(substituted)?.AsObject() ?? throw new LocalStateMachineException($"{options.DefinitionPath} is not a JSON object.");
    }

    private JsonObject BuildConfig(JsonObject definition, string definitionFile, LocalExecutionInput input)
    {
        var tasks = new JsonObject();
        var waits = new JsonObject();
        var retries = new JsonObject();
        foreach (var (name, node) in definition["States"]!.AsObject())
        {
            var state = node!.AsObject();
            var type = (string?)state["Type"];
            if (type == "Task")
                tasks[name] = ScriptFor(name, (string?)state["Resource"]);
            if (type == "Wait")
                waits[name] = (long)options.WaitOverride.TotalMilliseconds;
            if (state.ContainsKey("Retry"))
                retries[name] = 0;
        }
        return new JsonObject
        {
            ["definition_file"] = definitionFile,
            ["input"] = JsonSerializer.SerializeToNode(input, LocalStateMachineJsonContext.Default.LocalExecutionInput),
            ["execution_name"] = input.ExecutionName,
            ["tasks"] = tasks,
            ["waits"] = waits,
            ["retries"] = retries,
        };
    }

    private string ScriptFor(string state, string? resource)
    {
        if (options.TaskScripts.TryGetValue(state, out var script))
            return Path.GetFullPath(script);
        if (resource is not null && ScriptByResource.TryGetValue(resource, out var name))
            return Path.Combine(options.ScriptsDirectory, name);
        throw new LocalStateMachineException($"Task state {state} uses {resource}, which has no local stand-in in {options.ScriptsDirectory}.");
    }

    private async Task<LocalExecutionResult> RunRunnerAsync(string executionName, string configFile, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.Node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = options.RepositoryRoot,
        };
        start.ArgumentList.Add(Path.Combine(options.ScriptsDirectory, "run-execution.mjs"));
        start.ArgumentList.Add(configFile);
        foreach (var (name, value) in ScriptEnvironment())
            start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new LocalStateMachineException($"{options.Node} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The runner and the executables it started must not outlive a cancelled run.
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout.ConfigureAwait(false);
        var log = await stderr.ConfigureAwait(false);
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (process.ExitCode != 0 || last is null)
            throw new LocalStateMachineException($"The local execution {executionName} could not run (exit code {process.ExitCode}): {Tail(log)}");
        var report = JsonNode.Parse(last)!.AsObject();
        return new LocalExecutionResult(
            executionName,
            (string)report["status"]!,
            report["output"]?.DeepClone(),
            (string?)report["error"],
            (string?)report["cause"],
            report["states"]!.AsArray().Select(s => (string)s!).ToList(),
            report["entered_at"]!.AsArray().Select(t => DateTimeOffset.FromUnixTimeMilliseconds((long)t!)).ToList(),
            log);
    }

    private Dictionary<string, string> ScriptEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // Node 22 of npm ci first, so the scripts' own children find the same Node.
            ["PATH"] = Path.GetDirectoryName(options.Node) is { Length: > 0 } bin
                ? bin + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH")
                : System.Environment.GetEnvironmentVariable("PATH") ?? "",
            ["KPI_LOCAL_NODE_MODULES"] = Path.Combine(options.RepositoryRoot, "node_modules"),
            ["KPI_LOCAL_CONTAINERS"] = JsonSerializer.Serialize(new Dictionary<string, IReadOnlyList<string>>
            {
                ["validator"] = options.ValidatorCommand,
                ["kpi-job"] = options.KpiJobCommand,
            }, LocalStateMachineJsonContext.Default.DictionaryStringIReadOnlyListString),
            ["AWS_REGION"] = System.Environment.GetEnvironmentVariable("AWS_REGION") ?? options.Region,
            ["NODE_NO_WARNINGS"] = "1",
        };
        if (options.LambdaCommand is { } lambda)
            environment["KPI_LOCAL_LAMBDA"] = JsonSerializer.Serialize(lambda, LocalStateMachineJsonContext.Default.IReadOnlyListString);
        if (options.LockFolder is { } locks)
            environment["KPI_LOCAL_LOCK_FOLDER"] = Path.GetFullPath(locks);
        if (options.LakeFolder is { } lake)
            environment["KPI_LOCAL_LAKE"] = Path.GetFullPath(lake);
        if (options.NotificationsFile is { } notifications)
            environment["KPI_LOCAL_NOTIFICATIONS_FILE"] = Path.GetFullPath(notifications);
        if (options.LambdaCommand is null && options.LockFolder is null)
            throw new LocalStateMachineException("Give either a Lambda command (leases in DynamoDB) or a lock folder.");
        foreach (var (name, value) in options.Environment)
            environment[name] = value;
        return environment;
    }

    private static string Tail(string log)
    {
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var builder = new StringBuilder();
        foreach (var line in lines.TakeLast(10))
            builder.Append(line).Append(" | ");
        return builder.Length == 0 ? "no output" : builder.ToString(0, builder.Length - 3);
    }

    // CloudFormation's ${Name} placeholders (docs/architecture.md).
    [GeneratedRegex(@"\$\{(?<name>[A-Za-z0-9_]+)\}")]
    private static partial Regex Placeholder();
}

/// <summary>Source-generated serialisation of what the local state machine hands to its Node runner (no reflection at run time, Native AOT).</summary>
[JsonSerializable(typeof(LocalExecutionInput))]
[JsonSerializable(typeof(Dictionary<string, IReadOnlyList<string>>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class LocalStateMachineJsonContext : JsonSerializerContext;
