using KpiPipeline.Testing;
using KpiPipeline.Validation;

namespace KpiPipeline.Validator.Tests;

/// <summary>The README documents the command line and the rules; these keep it in step with the code.</summary>
public sealed class ReadmeTests
{
    private static readonly Lazy<string> Readme = new(() => File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "validator", "README.md")));

    [Fact]
    public void Readme_Usage_IsTheCommandLineUsage()
    {
        // The usage without its "usage: " and the indent that aligns the lines under it.
        var lines = CommandLine.Usage.Split('\n').Select(line => line.Length > 7 && line[..7] is "usage: " or "       " ? line[7..] : line);
        Assert.Contains("```\n" + string.Join("\n", lines) + "\n```", Readme.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Readme_RulesTable_ListsEveryRuleOfTheCatalogueWithItsDescription()
    {
        Assert.All(ValidationRules.All, rule =>
            Assert.Contains($"| `{rule.Id}` | {rule.Level.ToString().ToLowerInvariant()} | {rule.Description} |", Readme.Value, StringComparison.Ordinal));
    }
}
