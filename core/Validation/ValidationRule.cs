namespace KpiPipeline.Validation;

/// <summary>Whether breaking a rule quarantines the whole file or rejects one row.</summary>
public enum RuleLevel
{
    File,
    Row,
}

/// <summary>One data-quality rule. Every rejection names one of these, from <see cref="ValidationRules"/>.</summary>
/// <param name="Id">Stable snake_case identifier, as written to rejects files and reports.</param>
/// <param name="Expected">What a conforming file or value looks like, shown beside what was found.</param>
public sealed record ValidationRule(string Id, RuleLevel Level, string Description, string Expected)
{
    public override string ToString() => Id;
}

/// <summary>
/// A broken rule located in a file: the line (0 when it concerns the file as a whole), the column as the
/// file's header names it, what the rule expects and what was found.
/// </summary>
public sealed record Violation(ValidationRule Rule, long Line, string? Column, string Expected, string Found);
