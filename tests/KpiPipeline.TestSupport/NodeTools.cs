using System.Diagnostics;

namespace KpiPipeline.Testing;

/// <summary>
/// Paths of the npm-installed tools the tests drive: the pinned Node 22 binary and each emulator's
/// entry script, all under the repository's <c>node_modules</c> (installed by <c>npm ci</c>).
/// </summary>
public sealed class NodeTools
{
    /// <summary>What to do when the tools are missing; part of every such exception's message.</summary>
    public const string InstallHint = "run npm ci (./test.sh does it)";

    private static readonly Lazy<NodeTools> LazyDefault = new(() => Locate(RepositoryRoot.Find()));

    private NodeTools(string repositoryRoot)
    {
        RepositoryDirectory = repositoryRoot;
        NodeModules = Path.Combine(repositoryRoot, "node_modules");
        BinDirectory = Path.Combine(NodeModules, ".bin");
        Node = Path.Combine(NodeModules, "node", "bin", OperatingSystem.IsWindows() ? "node.exe" : "node");
        Fauxqs = Path.Combine(NodeModules, "fauxqs", "dist", "cli.js");
        Dynalite = Path.Combine(NodeModules, "dynalite", "cli.js");
        LocalStepFunctions = Path.Combine(NodeModules, "aws-local-stepfunctions", "bin", "CLI.cjs");
        AslValidator = Path.Combine(NodeModules, "asl-validator", "dist", "bin", "asl-validator.js");
        var launchers = Path.Combine(repositoryRoot, "tests", "KpiPipeline.TestSupport", "Emulators");
        FauxqsLauncher = Path.Combine(launchers, "fauxqs-loopback.mjs");
        DynaliteLauncher = Path.Combine(launchers, "dynalite-loopback.cjs");
    }

    /// <summary>The tools of the repository above the running test assembly.</summary>
    /// <exception cref="InvalidOperationException">A tool is missing; the message says to run npm ci.</exception>
    public static NodeTools Default => LazyDefault.Value;

    /// <summary>The repository root the paths below hang off.</summary>
    public string RepositoryDirectory { get; }

    public string NodeModules { get; }

    /// <summary><c>node_modules/.bin</c>: put it first on PATH so child tools find Node 22 as <c>node</c>.</summary>
    public string BinDirectory { get; }

    /// <summary>The Node 22 binary (the <c>node@22</c> npm package).</summary>
    public string Node { get; }

    /// <summary>fauxqs's CLI (S3 + SNS + SQS; binds 0.0.0.0, so the fixture uses <see cref="FauxqsLauncher"/>).</summary>
    public string Fauxqs { get; }

    /// <summary>dynalite's CLI (DynamoDB).</summary>
    public string Dynalite { get; }

    /// <summary><c>local-sfn</c>, aws-local-stepfunctions' CLI: runs an ASL definition.</summary>
    public string LocalStepFunctions { get; }

    /// <summary>asl-validator's CLI.</summary>
    public string AslValidator { get; }

    /// <summary>Starts fauxqs on 127.0.0.1 and an OS-chosen port, printing <c>{"port":N}</c>.</summary>
    public string FauxqsLauncher { get; }

    /// <summary>Starts dynalite on 127.0.0.1 and an OS-chosen port, printing <c>{"port":N}</c>.</summary>
    public string DynaliteLauncher { get; }

    /// <summary>The tools below <paramref name="repositoryRoot"/>, checked to exist.</summary>
    /// <exception cref="InvalidOperationException">A tool is missing; the message says to run npm ci.</exception>
    public static NodeTools Locate(string repositoryRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(repositoryRoot);
        var tools = new NodeTools(repositoryRoot);
        string[] required = [tools.Node, tools.Fauxqs, tools.Dynalite, tools.LocalStepFunctions, tools.AslValidator];
        var missing = required.Where(path => !File.Exists(path)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"The npm test tools are not installed in '{tools.NodeModules}' (missing: " +
                $"{string.Join(", ", missing.Select(path => Path.GetRelativePath(repositoryRoot, path)))}): {InstallHint}.");
        }

        return tools;
    }

    /// <summary>PATH with <see cref="BinDirectory"/> first, so <c>node</c> is Node 22 for child processes.</summary>
    public string PathWithNodeFirst() =>
        BinDirectory + Path.PathSeparator + (Environment.GetEnvironmentVariable("PATH") ?? string.Empty);

    /// <summary>
    /// A start info that runs <paramref name="script"/> with Node 22 (first on PATH), output redirected,
    /// and <paramref name="environment"/> (e.g. <see cref="EmulatorFixture.Environment"/>) added.
    /// </summary>
    public ProcessStartInfo CreateStartInfo(
        string script,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(script);
        ArgumentNullException.ThrowIfNull(arguments);
        var startInfo = new ProcessStartInfo(Node)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryDirectory,
        };
        startInfo.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["PATH"] = PathWithNodeFirst();
        // fauxqs uses node:sqlite, which prints an ExperimentalWarning on every start.
        startInfo.Environment["NODE_NO_WARNINGS"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        return startInfo;
    }
}
