using System.Text.RegularExpressions;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>
/// README.md's emulator example, read from the README itself and run on the emulators: its <c>export</c> lines
/// become the environment (the endpoints mapped to the fixture's ports) and each <c>dotnet run --project spark-job</c>
/// line runs the built kpi-job with the same arguments.
/// </summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed partial class ReadmeTests(EmulatorFixture emulators) : IDisposable
{
    private const string KpiJobPrefix = "dotnet run --project spark-job -- ";

    private readonly TempLake _local = new();

    [Fact]
    public async Task EmulatorExample_AsWritten_StoresTheKpisOfALocalRun()
    {
        var block = FencedBlocks(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "README.md")), "bash")
            .Single(b => b.Contains(KpiJobPrefix + "init --bucket", StringComparison.Ordinal));
        var environment = new Dictionary<string, string>();
        var results = new List<KpiJobProcess.Result>();

        foreach (var line in block.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                foreach (var assignment in line["export ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var (name, value) = (assignment[..assignment.IndexOf('=')], assignment[(assignment.IndexOf('=') + 1)..]);
                    environment[name] = name.StartsWith("AWS_ENDPOINT_URL_", StringComparison.Ordinal) ? emulators.Environment[name] : value;
                }
                continue;
            }
            Assert.StartsWith(KpiJobPrefix, line, StringComparison.Ordinal);
            var result = await KpiJobProcess.RunAsync(environment, line[KpiJobPrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.True(result.ExitCode == 0, $"{line}: {result.StandardError}");
            results.Add(result);
        }

        Assert.Contains("AWS_ENDPOINT_URL_S3", environment.Keys);
        Assert.Contains("AWS_ENDPOINT_URL_DYNAMODB", environment.Keys);
        var sample = Path.Combine(RepositoryRoot.Find(), "samples", "shop", "raw");
        await KpiJobProcess.RunAsync("run", "--lake", _local.Root, "--upload", sample, "--format", "none");
        var local = await KpiJobProcess.RunAsync("kpis", "--lake", _local.Root);
        Assert.Equal(local.StandardOutput, results[^1].StandardOutput);
    }

    /// <summary>The contents of the Markdown fenced blocks of one language.</summary>
    internal static IEnumerable<string> FencedBlocks(string markdown, string language) =>
        FencedBlock().Matches(markdown).Where(m => m.Groups["language"].Value == language).Select(m => m.Groups["body"].Value);

    [GeneratedRegex(@"^```(?<language>\w*)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    public void Dispose() => _local.Dispose();
}
