using System.Text;
using KpiPipeline.Contracts;
using KpiPipeline.Csv;
using KpiPipeline.Lake;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Tests.Builders;

namespace KpiPipeline.Validator.Tests.Validation;

/// <summary>
/// Randomly mutated exports (seeded, bounded): the validator never crashes, and nothing is lost or
/// duplicated. Every raw file ends in exactly one of validated/ or invalid/; every data row of a
/// validated file is in exactly one of the good output or the rejects; blank lines are counted.
/// </summary>
public sealed class MutationTests
{
    private const int Seed = 20240115;
    private const int Iterations = 150;

    private static readonly byte[][] Fragments =
    [
        "\""u8.ToArray(), ","u8.ToArray(), "\n"u8.ToArray(), "\r"u8.ToArray(), "\r\n"u8.ToArray(), ";"u8.ToArray(), " "u8.ToArray(),
        [0xE9], [0x00], [0xEF, 0xBB, 0xBF], "NaN"u8.ToArray(), "-"u8.ToArray(), "1e309"u8.ToArray(), "\"\""u8.ToArray(),
        "2099-01-01T00:00:00Z"u8.ToArray(), "é"u8.ToArray(), "x"u8.ToArray(), "0"u8.ToArray(),
    ];

    [Fact]
    public async Task ValidateAsync_RandomlyMutatedFiles_NoCrashAndEveryRowAccountedFor()
    {
        var random = new Random(Seed);
        var seen = new Dictionary<string, int>();
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            using var lake = new TestLake();
            var files = new Dictionary<string, byte[]>
            {
                [TestLake.OrdersKey()] = Mutate(Encoding.UTF8.GetBytes(CsvText.Orders(1, 20)), random),
                [TestLake.OrdersKey("part-0001.csv")] = Encoding.UTF8.GetBytes(CsvText.Orders(21, 30)),
                [TestLake.ItemsKey()] = Mutate(Encoding.UTF8.GetBytes(CsvText.Items(1, 40)), random),
                [TestLake.ItemsKey("part-0001.csv")] = Mutate(Encoding.UTF8.GetBytes(CsvText.Items(41, 60)), random),
            };
            lake.Put(LakeLayout.ProductsKey, CsvText.Products(1, 5));
            foreach (var (key, content) in files)
                lake.Put(key, content);
            var threshold = random.Next(2) == 0 ? 0.05 : 1.0;

            var result = await lake.ValidateAsync(lake.WriteManifest(), new ValidationOptions { MaxRejectedFraction = threshold });

            var context = $"seed {Seed}, iteration {iteration}";
            foreach (var (key, content) in files)
            {
                var file = result.Files.Single(f => f.Key == key);
                await AssertConservedAsync(lake, file, content, context);
                foreach (var rule in file.RejectedByRule.Keys.Append(file.FileError?.Rule.Id ?? file.Disposition.ToString()))
                    seen[rule] = seen.GetValueOrDefault(rule) + 1;
            }
        }
        // The mutations must reach the interesting paths, or the test proves nothing.
        Assert.Contains("Validated", seen.Keys);
        Assert.Contains("rejected_fraction_exceeded", seen.Keys);
        Assert.True(seen.Count >= 15, "rules reached: " + string.Join(", ", seen.Select(p => $"{p.Key}={p.Value}")));
    }

    private static async Task AssertConservedAsync(TestLake lake, FileValidationResult file, byte[] original, string context)
    {
        var validated = TestLake.In(Stage.Validated, file.Key);
        var invalid = TestLake.In(Stage.Invalid, file.Key);
        Assert.False(lake.Exists(file.Key), $"{context}: {file.Key} is still in raw/");
        Assert.True(lake.Exists(validated) ^ lake.Exists(invalid), $"{context}: {file.Key} must be in exactly one of validated/ and invalid/");
        if (file.Disposition == FileDisposition.Quarantined)
        {
            Assert.Equal(original, lake.ReadBytes(invalid));
            Assert.True(lake.Exists(file.ErrorsKey!), context);
            return;
        }
        Assert.Equal(FileDisposition.Validated, file.Disposition);
        var (records, blanks) = await ReadIndependentlyAsync(original);
        Assert.True(records.Count == file.RowsRead, $"{context}: {file.Key} has {records.Count} data rows, the result says {file.RowsRead}");
        Assert.Equal(blanks, file.BlankLines);
        Assert.Equal(file.RowsRead, file.Accepted + file.Rejected);
        var good = await lake.DataRecordsAsync(validated);
        var rejected = file.RejectsKey is null ? [] : (await lake.RejectsAsync(file.RejectsKey)).Select(r => r.Record).ToList();
        Assert.Equal(file.Accepted, good.Count);
        Assert.Equal(file.Rejected, rejected.Count);
        // Same multiset of rows: each original row is in exactly one of the outputs.
        Assert.True(
            records.Select(Normalise).Order(StringComparer.Ordinal).SequenceEqual(good.Concat(rejected).Select(Normalise).Order(StringComparer.Ordinal)),
            $"{context}: the rows of {file.Key} are not exactly the good rows plus the rejected rows");
    }

    /// <summary>Data records and blank lines of a file as the contract defines them, read without the validator.</summary>
    private static async Task<(List<string> Records, long Blanks)> ReadIndependentlyAsync(byte[] content)
    {
        using var reader = new CsvReader(new MemoryStream(content), new CsvReaderOptions { MaxRecordBytes = new ValidationOptions().MaxRecordBytes });
        var records = new List<string>();
        long blanks = 0;
        var header = true;
        while (await reader.ReadAsync())
        {
            if (reader.IsBlank)
            {
                blanks++;
                continue;
            }
            if (header)
            {
                header = false;
                continue;
            }
            records.Add(Encoding.UTF8.GetString(reader.RawRecord));
        }
        return (records, blanks);
    }

    /// <summary>A good row is written back with "\n"; a row that ended in "\r\r\n" loses one CR on the way. Nothing else may change.</summary>
    private static string Normalise(string record) => record.TrimEnd('\r');

    private static byte[] Mutate(byte[] content, Random random)
    {
        var bytes = new List<byte>(content);
        var mutations = random.Next(1, 6);
        for (var m = 0; m < mutations; m++)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(8))
            {
                case 0 or 1:
                    bytes.InsertRange(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveRange(Math.Min(at, bytes.Count - 1), Math.Min(random.Next(1, 8), bytes.Count - Math.Min(at, bytes.Count - 1)));
                    break;
                case 3:
                    DuplicateLine(bytes, random);
                    break;
                case 4:
                    bytes.InsertRange(LineStart(bytes, at), "\n"u8.ToArray());
                    break;
                case 5 when bytes.Count > 0:
                    bytes.RemoveRange(at == 0 ? 0 : at - 1, bytes.Count - (at == 0 ? 0 : at - 1));
                    break;
                case 6:
                    bytes = [.. Encoding.UTF8.GetBytes(Encoding.UTF8.GetString([.. bytes]).Replace("\n", "\r\n", StringComparison.Ordinal))];
                    break;
                default:
                    if (at < bytes.Count)
                        bytes[at] = Fragments[random.Next(Fragments.Length)][0];
                    break;
            }
        }
        return [.. bytes];
    }

    private static void DuplicateLine(List<byte> bytes, Random random)
    {
        var start = LineStart(bytes, random.Next(bytes.Count + 1));
        var end = bytes.IndexOf((byte)'\n', start);
        if (end < 0)
            return;
        bytes.InsertRange(end + 1, bytes.GetRange(start, end - start + 1));
    }

    private static int LineStart(List<byte> bytes, int at)
    {
        var start = at;
        while (start > 0 && bytes[start - 1] != (byte)'\n')
            start--;
        return start;
    }
}
