using KpiPipeline.Csv;

namespace KpiPipeline.Validator.Tests.Builders;

internal static class LakeAssertions
{
    /// <summary>The records of a CSV object after its header (blank lines skipped), as raw text.</summary>
    public static async Task<List<string>> DataRecordsAsync(this TestLake lake, string key)
    {
        using var reader = new CsvReader(new MemoryStream(lake.ReadBytes(key)));
        var records = new List<string>();
        var header = true;
        while (await reader.ReadAsync())
        {
            if (reader.IsBlank)
                continue;
            if (header)
            {
                header = false;
                continue;
            }
            records.Add(System.Text.Encoding.UTF8.GetString(reader.RawRecord));
        }
        return records;
    }

    /// <summary>The rejects file as (line, column, rule, expected, found, record) tuples.</summary>
    public static async Task<List<RejectRow>> RejectsAsync(this TestLake lake, string key)
    {
        using var reader = new CsvReader(new MemoryStream(lake.ReadBytes(key)));
        var rows = new List<RejectRow>();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("line,column,rule,expected,found,record", System.Text.Encoding.UTF8.GetString(reader.RawRecord));
        while (await reader.ReadAsync())
        {
            Assert.Equal(6, reader.FieldCount);
            rows.Add(new RejectRow(long.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5)));
        }
        return rows;
    }
}

internal sealed record RejectRow(long Line, string Column, string Rule, string Expected, string Found, string Record);
