namespace KpiPipeline.Contracts;

/// <summary>
/// How a file's header row maps onto a dataset's canonical columns: for each canonical column the
/// position of the field that holds it (or -1), plus everything wrong with the header.
/// </summary>
public sealed class HeaderBinding
{
    private readonly int[] _positions;

    private HeaderBinding(DatasetSchema schema, IReadOnlyList<string> headers, int[] positions,
        IReadOnlyList<string> missing, IReadOnlyList<string> duplicates, IReadOnlyList<string> ambiguous)
    {
        Schema = schema;
        Headers = headers;
        _positions = positions;
        MissingRequired = missing;
        DuplicateHeaders = duplicates;
        AmbiguousColumns = ambiguous;
    }

    public DatasetSchema Schema { get; }

    /// <summary>The header names as found (trimmed).</summary>
    public IReadOnlyList<string> Headers { get; }

    /// <summary>Required canonical columns that no header names.</summary>
    public IReadOnlyList<string> MissingRequired { get; }

    /// <summary>Header names that occur more than once (case-insensitively).</summary>
    public IReadOnlyList<string> DuplicateHeaders { get; }

    /// <summary>Canonical columns named by more than one header (<c>price</c> and <c>unit_price</c>).</summary>
    public IReadOnlyList<string> AmbiguousColumns { get; }

    public bool IsUsable => MissingRequired.Count == 0 && DuplicateHeaders.Count == 0 && AmbiguousColumns.Count == 0;

    /// <summary>Field position holding the canonical column, or -1 when the file lacks it.</summary>
    public int PositionOf(int canonicalIndex) => _positions[canonicalIndex];

    public int PositionOf(string canonicalName) => _positions[Schema.IndexOf(canonicalName)];

    public bool Has(int canonicalIndex) => _positions[canonicalIndex] >= 0;

    internal static HeaderBinding Create(DatasetSchema schema, IReadOnlyList<string> rawHeaders)
    {
        var headers = rawHeaders.Select(h => h.Trim()).ToArray();
        var positions = Enumerable.Repeat(-1, schema.Columns.Count).ToArray();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var duplicates = new List<string>();
        var ambiguous = new List<string>();
        for (var i = 0; i < headers.Length; i++)
        {
            // An empty name names nothing (spreadsheets export trailing empty columns as ",,"): not a duplicate.
            if (headers[i].Length == 0)
                continue;
            if (!seen.Add(headers[i]))
            {
                if (!duplicates.Contains(headers[i], StringComparer.OrdinalIgnoreCase))
                    duplicates.Add(headers[i]);
                continue;
            }
            var column = schema.Match(headers[i]);
            if (column < 0)
                continue;
            if (positions[column] < 0)
            {
                positions[column] = i;
                continue;
            }
            // Two headers for one column: the canonical name wins over an alias; two aliases are ambiguous.
            var name = schema.Columns[column].Name;
            if (string.Equals(headers[i], name, StringComparison.OrdinalIgnoreCase))
                positions[column] = i;
            else if (!string.Equals(headers[positions[column]], name, StringComparison.OrdinalIgnoreCase))
                ambiguous.Add(name);
        }
        var missing = schema.Columns
            .Where((c, i) => c.Required && positions[i] < 0)
            .Select(c => c.Name)
            .ToArray();
        return new HeaderBinding(schema, headers, positions, missing, duplicates, ambiguous);
    }
}
