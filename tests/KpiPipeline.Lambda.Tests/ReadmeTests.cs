using System.Text.RegularExpressions;
using KpiPipeline.Testing;

namespace KpiPipeline.Lambda.Tests;

/// <summary>The documented <c>invoke</c> commands name functions the program serves and event files that exist.</summary>
public sealed partial class ReadmeTests
{
    public static TheoryData<string> Documents => new("README.md", Path.Combine("lambda", "README.md"), Path.Combine("docs", "architecture.md"));

    [Theory]
    [MemberData(nameof(Documents))]
    public void InvokeCommands_InDocument_NameCatalogFunctionsAndExistingEvents(string document)
    {
        var root = RepositoryRoot.Find();
        var commands = InvokeCommand().Matches(File.ReadAllText(Path.Combine(root, document))).ToList();

        Assert.NotEmpty(commands);
        Assert.All(commands, command =>
        {
            var function = command.Groups["function"].Value;
            var eventFile = command.Groups["event"].Value;
            if (!function.StartsWith('<'))
                Assert.NotNull(FunctionCatalog.Find(function));
            if (!eventFile.StartsWith('<'))
                Assert.True(File.Exists(Path.Combine(root, eventFile)), $"{document}: {eventFile} does not exist");
        });
    }

    [GeneratedRegex(@"invoke --function (?<function>\S+) --event (?<event>[^\s`]+)")]
    private static partial Regex InvokeCommand();
}
