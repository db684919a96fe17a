namespace KpiPipeline.Contracts;

/// <summary>The canonical columns of one dataset. Headers match case-insensitively after trimming, by name or alias.</summary>
public sealed class DatasetSchema
{
    private readonly Dictionary<string, int> _byHeader;

    public DatasetSchema(Dataset dataset, IReadOnlyList<ColumnSpec> columns)
    {
        Dataset = dataset;
        Columns = columns;
        _byHeader = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < columns.Count; i++)
        {
            _byHeader.Add(columns[i].Name, i);
            foreach (var alias in columns[i].Aliases)
                _byHeader.Add(alias, i);
        }
    }

    public Dataset Dataset { get; }

    public IReadOnlyList<ColumnSpec> Columns { get; }

    public int IndexOf(string canonicalName)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (Columns[i].Name == canonicalName)
                return i;
        }
        throw new ArgumentException($"{Dataset} has no column '{canonicalName}'.", nameof(canonicalName));
    }

    /// <summary>The canonical column a header names, or -1.</summary>
    public int Match(string header) => _byHeader.TryGetValue(header.Trim(), out var index) ? index : -1;

    /// <summary>Binds a file's header row to the canonical columns.</summary>
    public HeaderBinding Bind(IReadOnlyList<string> headers) => HeaderBinding.Create(this, headers);
}
