using System.Globalization;
using System.Text;
using KpiPipeline.Contracts;

namespace KpiPipeline.Validation;

/// <summary>The short human-readable report: the outcome, then per file what was accepted, rejected by which rule, and the first examples.</summary>
internal static class ValidationSummary
{
    public static string Build(string batchId, int version, BatchOutcome outcome, string? rejectionReason, DateTimeOffset validatedAt, IReadOnlyList<FileValidationResult> files)
    {
        var text = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        text.Append(culture, $"Batch {batchId} v{version}: {(outcome == BatchOutcome.Valid ? "VALID" : "REJECTED")}");
        if (rejectionReason is not null)
            text.Append(culture, $": {rejectionReason}");
        text.Append(culture, $" (validated at {validatedAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'})\n");
        AppendRejectsPivot(text, files);
        foreach (var file in files)
        {
            text.Append(culture, $"\n{file.Key} [{file.Dataset.Folder()}] {Describe(file.Disposition)}");
            if (file.Destination is not null && file.Destination != file.Key)
                text.Append(culture, $" -> {file.Destination}");
            text.Append('\n');
            if (file.Disposition is FileDisposition.NotValidated or FileDisposition.Missing or FileDisposition.AlreadyQuarantined)
            {
                AppendFileError(text, file);
                continue;
            }
            text.Append(culture, $"  rows {file.RowsRead}, accepted {file.Accepted}, rejected {file.Rejected}");
            if (file.BlankLines > 0)
                text.Append(culture, $", blank lines {file.BlankLines}");
            if (file.OffDateRows > 0)
                text.Append(culture, $", dated off the batch date {file.OffDateRows}");
            text.Append('\n');
            if (file.RejectedByRule.Count > 0)
                text.Append("  rejected by rule: ").AppendJoin(", ", file.RejectedByRule.Select(r => $"{r.Key} {r.Value}")).Append('\n');
            AppendFileError(text, file);
            foreach (var example in file.Examples)
                text.Append("  e.g. ").Append(Describe(example)).Append('\n');
            if (file.RejectsKey is not null && file.RejectedBeyondCap > 0)
                text.Append(culture, $"  rejected rows: {file.RejectsKey} (full: {file.RejectedBeyondCap} more rejected rows counted, not written)\n");
            else if (file.RejectsKey is not null)
                text.Append(culture, $"  all rejected rows: {file.RejectsKey}\n");
            if (file.Quality is { } quality)
                AppendQuality(text, file, quality);
        }
        return text.ToString();
    }

    /// <summary>Rejected rows per file (rows) and rule (columns); a file quarantined whole shows <c>file</c> under its rule.</summary>
    private static void AppendRejectsPivot(StringBuilder text, IReadOnlyList<FileValidationResult> files)
    {
        var rows = files.Where(f => f.Rejected > 0 || f.FileError is not null).ToList();
        if (rows.Count == 0)
            return;
        var rules = ValidationRules.All
            .Where(r => rows.Any(f => f.RejectedByRule.ContainsKey(r.Id) || f.FileError?.Rule == r))
            .ToList();
        List<string[]> table = [["file", .. rules.Select(r => r.Id), "rows rejected"]];
        foreach (var file in rows)
            table.Add([Label(file.Key), .. rules.Select(r => Cell(file, r)), Count(file.Rejected)]);
        table.Add(["total", .. rules.Select(r => Count(rows.Sum(f => f.RejectedByRule.GetValueOrDefault(r.Id)))), Count(rows.Sum(f => f.Rejected))]);
        text.Append("\nRejects by file and rule:\n");
        AppendTable(text, table, "  ");
    }

    private static string Cell(FileValidationResult file, ValidationRule rule)
    {
        var rows = file.RejectedByRule.GetValueOrDefault(rule.Id);
        if (file.FileError?.Rule == rule)
            return rows > 0 ? $"file, {Count(rows)}" : "file";
        return rows > 0 ? Count(rows) : ".";
    }

    private static void AppendQuality(StringBuilder text, FileValidationResult file, FileQuality quality)
    {
        var culture = CultureInfo.InvariantCulture;
        var profile = quality.Profile;
        text.Append(culture, $"  profile of {(profile.Complete ? "all" : $"the first {profile.SampleRows:N0} of {file.Accepted:N0}")} accepted rows:\n");
        List<string[]> table = [["column", "nulls", "distinct", "min", "max", "mean"]];
        foreach (var column in profile.Columns)
        {
            if (!column.Present)
            {
                table.Add([column.Column, "absent", "", "", "", ""]);
                continue;
            }
            table.Add([column.Column, string.Create(culture, $"{column.NullRatio:0.0%}"), Count(column.Distinct),
                column.Min?.ToString(culture) ?? Iso(column.Earliest), column.Max?.ToString(culture) ?? Iso(column.Latest),
                column.Mean is { } mean ? mean.ToString("0.####", culture) : ""]);
        }
        AppendTable(text, table, "    ");
        foreach (var expectation in quality.Expectations)
        {
            var status = expectation.Status switch
            {
                ExpectationStatus.Met => "ok",
                ExpectationStatus.Warning => "WARNING",
                _ => "REJECTED",
            };
            var observed = expectation.Observed is { } value ? value.ToString("0.####", culture) : "n/a";
            text.Append(culture, $"  {status,-8} {expectation.Id} = {observed} ({expectation.Bounds})");
            if (expectation.Detail is not null && expectation.Status != ExpectationStatus.Met)
                text.Append(": ").Append(expectation.Detail);
            text.Append('\n');
        }
    }

    private static void AppendTable(StringBuilder text, List<string[]> rows, string indent)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        for (var r = 0; r < rows.Count; r++)
        {
            var line = new StringBuilder(indent);
            for (var c = 0; c < widths.Length; c++)
            {
                // Names left, figures right, as a reader scans them.
                line.Append(c == 0 ? "" : "  ").Append(c == 0 || r == 0 ? rows[r][c].PadRight(widths[c]) : rows[r][c].PadLeft(widths[c]));
            }
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
    }

    /// <summary>The file's path below its stage, which is what tells files apart.</summary>
    private static string Label(string key) => key.StartsWith("raw/", StringComparison.Ordinal) ? key[4..] : key;

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Iso(DateTime? utc) => utc?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";

    public static string Describe(Violation violation)
    {
        var where = violation.Line > 0 ? $"line {violation.Line}" : "file";
        if (violation.Column is not null)
            where += $", column {violation.Column}";
        return $"{where}: {violation.Rule.Id}: expected {violation.Expected}, found \"{violation.Found}\"";
    }

    private static void AppendFileError(StringBuilder text, FileValidationResult file)
    {
        if (file.FileError is { } error)
            text.Append("  quarantined: ").Append(Describe(error)).Append('\n');
    }

    private static string Describe(FileDisposition disposition) => disposition switch
    {
        FileDisposition.Validated => "validated",
        FileDisposition.Quarantined => "QUARANTINED",
        FileDisposition.AlreadyValidated => "already validated by an earlier run",
        FileDisposition.AlreadyProcessed => "already processed by an earlier run",
        FileDisposition.AlreadyQuarantined => "already quarantined by an earlier run",
        FileDisposition.NotValidated => "not validated (left in raw/)",
        FileDisposition.Missing => "MISSING",
        _ => disposition.ToString(),
    };
}
