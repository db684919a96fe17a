using System.Text.RegularExpressions;
using KpiPipeline.SparkJob.Cli;

namespace KpiPipeline.SparkJob.Tests.Cli;

public sealed partial class BatchesTableTests
{
    private const string LongReason =
        "order_items.csv: 12 rows have no order id and 3 rows have a negative sale price; order_items.zero_price_share = 0.62 is above the reject threshold 0.5";

    private static readonly DateTimeOffset Arrival = new(2026, 12, 2, 13, 53, 13, TimeSpan.Zero);

    /// <summary>A lake as people meet it: batches done, one failed, one running with new files, one waiting for files.</summary>
    private static readonly BatchesCommand.BatchRow[] Rows =
    [
        new("2024-03-01", 1, "STARTED", "archived", true, null, 3, 3, false, Arrival, Arrival, Arrival.AddSeconds(10)),
        new("2024-03-02", 2, "STARTED", "failed", true, LongReason, 3, 3, false, Arrival, Arrival.AddHours(10).AddMinutes(6).AddSeconds(45), Arrival.AddHours(10).AddMinutes(6).AddSeconds(51)),
        new("2024-03-03", 1, "STARTED", "validated", false, null, 12, 12, true, Arrival.AddMinutes(5), Arrival.AddMinutes(5), Arrival.AddMinutes(6)),
        new("2024-03-04", 0, "WAITING_FOR_FILES", null, false, null, 1, 0, false, Arrival.AddMinutes(7), null, null),
    ];

    [Fact]
    public void Write_80Columns_FitsTheTerminal()
    {
        var terminal = new TerminalOutput(80);

        BatchesCommand.Write(terminal.Console, Rows);

        terminal.AssertFitsWidth();
    }

    [Fact]
    public void Write_80Columns_EveryBatchVersionStatusAndStepIsWhole()
    {
        var terminal = new TerminalOutput(80);

        BatchesCommand.Write(terminal.Console, Rows);

        Assert.All(["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "STARTED", "WAITING_FOR_FILES", "archived", "failed", "validated"], terminal.AssertOnOneLine);
        Assert.All(["v1", "v2"], version => Assert.Matches($@"\b{version}\b", terminal.Text));
        Assert.Contains("new work", terminal.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_80Columns_LongReasonIsKeptWhole()
    {
        var terminal = new TerminalOutput(80);

        BatchesCommand.Write(terminal.Console, Rows);

        Assert.Contains(LongReason, Whitespace().Replace(terminal.Text, " "), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_80Columns_TimesAreWholeAndUtc()
    {
        var terminal = new TerminalOutput(80);

        BatchesCommand.Write(terminal.Console, Rows);

        Assert.All(["12-02 13:53:13Z", "13:53:23Z", "23:59:58Z", "00:00:04Z"], terminal.AssertOnOneLine);
    }

    /// <summary>The failed run's last step came after midnight: its time must not read as the claim's day.</summary>
    [Fact]
    public void Write_80Columns_TimeOnALaterDateShowsThatDate()
    {
        var terminal = new TerminalOutput(80);

        BatchesCommand.Write(terminal.Console, Rows);

        var lines = terminal.Lines;
        var time = lines.ToList().FindIndex(line => line.Contains("00:00:04Z", StringComparison.Ordinal));
        Assert.True(time >= 0, terminal.Text);
        var sameLine = lines[time].Contains("12-03 00:00:04Z", StringComparison.Ordinal);
        var lineAbove = time > 0 && lines[time - 1].IndexOf("12-03", StringComparison.Ordinal) == lines[time].IndexOf("00:00:04Z", StringComparison.Ordinal);
        Assert.True(sameLine || lineAbove, terminal.Text);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
