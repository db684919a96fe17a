using System.Text;
using System.Text.Json;
using KpiPipeline.Contracts;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Tests.Builders;

namespace KpiPipeline.Validator.Tests.Validation;

/// <summary>
/// A rejects file is capped (rows or bytes, whichever comes first) and the rows beyond the cap are counted in
/// the report; identical duplicates count toward the rejected-fraction threshold (issue 11, point 5).
/// </summary>
public sealed class RejectsCapTests : IDisposable
{
    private readonly TestLake _lake = new();

    public void Dispose() => _lake.Dispose();

    [Fact]
    public async Task ValidateAsync_MoreRejectsThanTheRowCap_RejectsFileStopsAtTheCapAndTheRestAreCounted()
    {
        var rows = Enumerable.Range(1, 40).Select(i => i % 4 == 0 ? CsvText.Item(i, price: "n/a") : CsvText.Item(i));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, rows)).WriteManifest();

        var result = await _lake.ValidateAsync(manifest, new ValidationOptions { MaxRejectedFraction = 0.5, MaxRejectsRows = 3 });

        var items = result.Files.Single(f => f.Dataset == Dataset.OrderItems);
        Assert.Equal((FileDisposition.Validated, 30L, 10L, 7L), (items.Disposition, items.Accepted, items.Rejected, items.RejectedBeyondCap));
        Assert.Equal([5L, 9L, 13L], (await _lake.RejectsAsync(items.RejectsKey!)).Select(r => r.Line));
        Assert.Equal(30, (await _lake.DataRecordsAsync("validated/order_items/2024-01-15/part-0000.csv")).Count);
        using var report = JsonDocument.Parse(_lake.Read(result.ReportKey));
        Assert.Equal(7, report.RootElement.GetProperty("files")[2].GetProperty("rejected_beyond_cap").GetInt64());
        Assert.Contains("7 more rejected rows counted, not written", result.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_RejectsLargerThanTheByteCap_RejectsFileNeverExceedsTheCap()
    {
        // Each rejected row carries a 300-byte status, so a few rows fill 2 KiB.
        var padding = new string('x', 300);
        var rows = Enumerable.Range(1, 40).Select(i => i % 2 == 0 ? CsvText.Item(i, price: "n/a").Replace("Complete", padding, StringComparison.Ordinal) : CsvText.Item(i));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, rows)).WriteManifest();
        const int cap = 2048;

        var result = await _lake.ValidateAsync(manifest, new ValidationOptions { MaxRejectedFraction = 1, MaxRejectsBytes = cap });

        var items = result.Files.Single(f => f.Dataset == Dataset.OrderItems);
        var written = await _lake.RejectsAsync(items.RejectsKey!);
        Assert.InRange(_lake.ReadBytes(items.RejectsKey!).Length, cap - 700, cap);
        Assert.Equal(20, items.Rejected);
        Assert.Equal(20, written.Count + items.RejectedBeyondCap);
        Assert.True(items.RejectedBeyondCap > 0);
    }

    [Fact]
    public async Task ValidateAsync_OneRowRepeatedTwoHundredThousandTimes_QuarantinedWithRejectsCappedAtTheDefault()
    {
        // The 300 MB of one repeated row, scaled down: identical duplicates count toward the threshold,
        // and the rejects file stops at the default 100,000 rows.
        const int repeats = 200_000;
        var text = new StringBuilder(CsvText.ItemsHeader).Append('\n');
        for (var i = 0; i <= repeats; i++)
            text.Append(CsvText.Item(1)).Append('\n');
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey("part-0001.csv"), text.ToString()).WriteManifest();

        var result = await _lake.ValidateAsync(manifest);

        var repeated = result.Files.Single(f => f.Key == TestLake.ItemsKey("part-0001.csv"));
        Assert.Equal((FileDisposition.Quarantined, "rejected_fraction_exceeded"), (repeated.Disposition, repeated.FileError!.Rule.Id));
        Assert.Equal(0, repeated.Accepted);
        Assert.Equal(new Dictionary<string, long> { ["duplicate_identical"] = repeats + 1 }, repeated.RejectedByRule);
        Assert.Equal(repeats + 1 - 100_000, repeated.RejectedBeyondCap);
        Assert.Equal(100_000, (await _lake.RejectsAsync(repeated.RejectsKey!)).Count);
        using var errors = JsonDocument.Parse(_lake.Read(repeated.ErrorsKey!));
        Assert.Equal(repeats + 1 - 100_000, errors.RootElement.GetProperty("rejected_beyond_cap").GetInt64());
    }

    [Fact]
    public async Task ValidateAsync_FileRepeatingAnotherFilesRows_IdenticalDuplicatesCountTowardTheThreshold()
    {
        var manifest = _lake.WithStandardBatch().Put(TestLake.OrdersKey("part-0001.csv"), CsvText.Orders(1, 20)).WriteManifest();

        var result = await _lake.ValidateAsync(manifest);

        var copy = result.Files.Single(f => f.Key == TestLake.OrdersKey("part-0001.csv"));
        Assert.Equal((FileDisposition.Quarantined, 20L), (copy.Disposition, copy.Rejected));
        Assert.Equal("20 of 20 rows (100.0%)", copy.FileError!.Found);
        Assert.Equal(BatchOutcome.Valid, result.Outcome);
    }
}
