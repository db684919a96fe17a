using System.Text.Json;

namespace KpiPipeline.Infra.Tests.Support;

/// <summary>One instruction with its continuation lines joined, e.g. ("COPY", "core/ core/").</summary>
public sealed record DockerInstruction(string Keyword, string Arguments)
{
    public IReadOnlyList<string> Words => Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>One stage: its FROM's image, `--platform=` and `AS` name (null when not given), then its instructions.</summary>
public sealed record DockerStage(string Image, string? Platform, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    /// <summary>The stage's last WORKDIR, where relative paths and the ENTRYPOINT's files resolve (null when never set).</summary>
    public string? Workdir => Instructions.LastOrDefault(instruction => instruction.Keyword == "WORKDIR")?.Arguments;

    /// <summary>The stage's COPY instructions from <paramref name="stage"/>: each one's sources and its destination.</summary>
    public IEnumerable<(IReadOnlyList<string> Sources, string Destination)> CopiesFrom(string stage) =>
        Instructions
            .Where(instruction => instruction.Keyword == "COPY" && instruction.Words.Contains($"--from={stage}"))
            .Select(instruction => instruction.Words.Where(word => !word.StartsWith("--", StringComparison.Ordinal)).ToList())
            .Select(paths => ((IReadOnlyList<string>)paths.SkipLast(1).ToList(), paths[^1]));
}

/// <summary>
/// Just enough of a Dockerfile reader to check one against the repository without a Docker engine:
/// comments and parser directives dropped, `\` continuations joined, instructions in order.
/// </summary>
public sealed class Dockerfile
{
    private Dockerfile(string path, IReadOnlyList<DockerInstruction> instructions)
    {
        Path = path;
        Instructions = instructions;
    }

    public string Path { get; }

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    /// <summary>The instructions from the last FROM on: what the image that runs is made of.</summary>
    public IEnumerable<DockerInstruction> FinalStage =>
        Instructions.Skip(Instructions.Select((instruction, index) => (instruction, index)).Last(pair => pair.instruction.Keyword == "FROM").index);

    /// <summary>COPY instructions from the build context (not `--from=` another stage): their sources.</summary>
    public IEnumerable<string> ContextCopySources =>
        Instructions
            .Where(instruction => instruction.Keyword == "COPY" && !instruction.Words.Any(word => word.StartsWith("--from=", StringComparison.Ordinal)))
            .SelectMany(instruction => instruction.Words.Where(word => !word.StartsWith("--", StringComparison.Ordinal)).SkipLast(1));

    /// <summary>The image names of every FROM, e.g. mcr.microsoft.com/dotnet/sdk:10.0.401-noble.</summary>
    public IEnumerable<string> BaseImages => Stages.Select(stage => stage.Image);

    /// <summary>The stages in order, each with the instructions after its FROM up to the next FROM.</summary>
    public IReadOnlyList<DockerStage> Stages
    {
        get
        {
            var stages = new List<DockerStage>();
            foreach (var (instruction, index) in Instructions.Select((instruction, index) => (instruction, index)).Where(pair => pair.instruction.Keyword == "FROM"))
            {
                var words = instruction.Words;
                var image = words.First(word => !word.StartsWith("--", StringComparison.Ordinal));
                var platform = words.Where(word => word.StartsWith("--platform=", StringComparison.Ordinal)).Select(word => word["--platform=".Length..]).SingleOrDefault();
                var alias = words.SkipWhile(word => !word.Equals("AS", StringComparison.OrdinalIgnoreCase)).Skip(1).SingleOrDefault();
                var body = Instructions.Skip(index + 1).TakeWhile(next => next.Keyword != "FROM").ToList();
                stages.Add(new DockerStage(image, platform, alias, body));
            }
            return stages;
        }
    }

    /// <summary>The exec-form ENTRYPOINT as its JSON array.</summary>
    public IReadOnlyList<string> Entrypoint =>
        JsonSerializer.Deserialize<string[]>(Instructions.Last(instruction => instruction.Keyword == "ENTRYPOINT").Arguments)
        ?? throw new InvalidOperationException($"{Path}: ENTRYPOINT is not an exec-form JSON array.");

    /// <summary>The project each `dotnet <verb> <project>` RUN names (restore, publish).</summary>
    public string ProjectOf(string dotnetVerb) => DotnetCommand(dotnetVerb)[2];

    /// <summary>The words of the one `dotnet <verb> …` RUN, e.g. ["dotnet", "publish", "validator/…csproj", "--output", "/app", …].</summary>
    public IReadOnlyList<string> DotnetCommand(string dotnetVerb) =>
        Instructions.Where(instruction => instruction.Keyword == "RUN")
            .Select(instruction => instruction.Words)
            .Where(words => words.Count > 2 && words[0] == "dotnet" && words[1] == dotnetVerb)
            .Single();

    /// <summary>The value after <paramref name="option"/> in the one `dotnet <verb> …` RUN, e.g. "/app" for --output.</summary>
    public string OptionOf(string dotnetVerb, string option)
    {
        var words = DotnetCommand(dotnetVerb);
        var at = words.ToList().IndexOf(option);
        return at >= 0 && at + 1 < words.Count ? words[at + 1]
            : throw new InvalidOperationException($"{Path}: `dotnet {dotnetVerb}` has no {option} <value>.");
    }

    public static Dockerfile Read(string path)
    {
        var instructions = new List<DockerInstruction>();
        var pending = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            var full = pending + line;
            pending = "";
            var space = full.IndexOf(' ', StringComparison.Ordinal);
            instructions.Add(new DockerInstruction(full[..space].ToUpperInvariant(), full[(space + 1)..].Trim()));
        }

        return new Dockerfile(path, instructions);
    }
}
