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
        }
        return text.ToString();
    }

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
