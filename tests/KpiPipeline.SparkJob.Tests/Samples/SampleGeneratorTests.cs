using KpiPipeline.Samples;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.Samples;

/// <summary>The one sample generator behind kpi-job generate / bench and validator bench.</summary>
public sealed class SampleGeneratorTests : IDisposable
{
    private readonly TempLake _plain = new();
    private readonly TempLake _invalidFirst = new();

    public void Dispose()
    {
        _plain.Dispose();
        _invalidFirst.Dispose();
    }

    [Fact]
    public async Task WriteAsync_InvalidFirstRows_AddsOneRowAfterEachPartsHeaderAndLeavesTheRestOfTheSeedsFiles()
    {
        var options = new SampleOptions { Items = 500, Days = 2, PartsPerDay = 2 };
        await SampleGenerator.WriteAsync(_plain.Store, options, null, CancellationToken.None);
        await SampleGenerator.WriteAsync(_invalidFirst.Store, options with { InvalidFirstRows = true }, null, CancellationToken.None);

        var files = Directory.EnumerateFiles(Path.Combine(_plain.Root, "raw"), "*.csv", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(_plain.Root, path)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(9, files.Count);
        Assert.All(files, file =>
        {
            var plain = File.ReadAllLines(Path.Combine(_plain.Root, file));
            var invalidFirst = File.ReadAllLines(Path.Combine(_invalidFirst.Root, file));
            if (file.Contains("products", StringComparison.Ordinal))
            {
                Assert.Equal(plain, invalidFirst);
                return;
            }
            Assert.Equal(plain.Length + 1, invalidFirst.Length);
            Assert.Equal(plain[0], invalidFirst[0]);
            Assert.Equal(plain[1..], invalidFirst[2..]);
        });
    }
}
