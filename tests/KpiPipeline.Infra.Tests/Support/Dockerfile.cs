using System.Text.Json;

namespace KpiPipeline.Infra.Tests.Support;

/// <summary>One instruction with its continuation lines joined, e.g. ("COPY", "core/ core/").</summary>
public sealed record DockerInstruction(string Keyword, string Arguments)
{
    public IReadOnlyList<string> Words => Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
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
    public IEnumerable<string> BaseImages =>
        Instructions.Where(instruction => instruction.Keyword == "FROM")
            .Select(instruction => instruction.Words.First(word => !word.StartsWith("--", StringComparison.Ordinal)));

    /// <summary>The exec-form ENTRYPOINT as its JSON array.</summary>
    public IReadOnlyList<string> Entrypoint =>
        JsonSerializer.Deserialize<string[]>(Instructions.Last(instruction => instruction.Keyword == "ENTRYPOINT").Arguments)
        ?? throw new InvalidOperationException($"{Path}: ENTRYPOINT is not an exec-form JSON array.");

    /// <summary>The project each `dotnet <verb> <project>` RUN names (restore, publish).</summary>
    public string ProjectOf(string dotnetVerb) =>
        Instructions.Where(instruction => instruction.Keyword == "RUN")
            .Select(instruction => instruction.Words)
            .Where(words => words.Count > 2 && words[0] == "dotnet" && words[1] == dotnetVerb)
            .Select(words => words[2])
            .Single();

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
