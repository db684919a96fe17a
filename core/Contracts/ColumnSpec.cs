namespace KpiPipeline.Contracts;

public enum ColumnKind
{
    Text,
    Decimal,
    /// <summary>A positive whole number (quantities).</summary>
    Quantity,
    Timestamp,
}

/// <summary>One canonical column of a dataset and the export headers that mean the same thing.</summary>
/// <param name="Name">The canonical name, as used in the curated data and the documentation.</param>
/// <param name="Required">Files without the column are rejected; empty values are rejected.</param>
/// <param name="RequiredWhenPresent">The column may be absent, but when a file has it every value must be filled (keys such as the order item id).</param>
public sealed record ColumnSpec(string Name, ColumnKind Kind, bool Required, IReadOnlyList<string> Aliases, bool RequiredWhenPresent = false)
{
    public bool MustHaveValue(bool present) => Required || (present && RequiredWhenPresent);
}
