using System.Globalization;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>A console of a given width that records what a table prints, as a terminal would show it (no colours).</summary>
internal sealed class TerminalOutput
{
    private readonly StringWriter _output = new();

    public TerminalOutput(int width)
    {
        Width = width;
        Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        Console.Profile.Width = width;
    }

    public int Width { get; }

    public IAnsiConsole Console { get; }

    public string Text => _output.ToString();

    public IReadOnlyList<string> Lines => Text.Split('\n').Select(line => line.TrimEnd('\r')).ToList();

    /// <summary>Every printed line fits the terminal: counted in text elements, so a box-drawing character is one column.</summary>
    public void AssertFitsWidth() =>
        Assert.All(Lines, line => Assert.True(new StringInfo(line.TrimEnd()).LengthInTextElements <= Width, $"wider than {Width}: {line}\n{Text}"));

    /// <summary>The value is printed whole on one line, never split across two.</summary>
    public void AssertOnOneLine(string value) =>
        Assert.True(Lines.Any(line => line.Contains(value, StringComparison.Ordinal)), $"'{value}' is not whole on one line:\n{Text}");
}
