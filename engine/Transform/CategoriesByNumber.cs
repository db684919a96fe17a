namespace KpiPipeline.Transform;

/// <summary>
/// The category number of each product whose id is a number, looked up once per joined line. Product ids are
/// usually small and dense (1..N), and then the table is an array indexed by id; otherwise a dictionary.
/// </summary>
internal sealed class CategoriesByNumber
{
    // Dense up to this many slots per product (with room for a few thousand gaps): a few bytes per id at most.
    private const int SlotsPerProduct = 4;
    private const int MinimumSlots = 4096;
    private const int None = -1;

    private readonly int[] _dense;
    private readonly Dictionary<long, int>? _sparse;

    /// <param name="categories">Each product's category number (not negative).</param>
    public CategoriesByNumber(IReadOnlyDictionary<long, int> categories)
    {
        var limit = Math.Max(MinimumSlots, (long)categories.Count * SlotsPerProduct);
        if (categories.Keys.All(id => id >= 0 && id < limit))
        {
            _dense = new int[categories.Count == 0 ? 0 : categories.Keys.Max() + 1];
            Array.Fill(_dense, None);
            foreach (var (id, category) in categories)
                _dense[id] = category;
        }
        else
        {
            _dense = [];
            _sparse = new Dictionary<long, int>(categories);
        }
    }

    public bool TryGet(long productId, out int category)
    {
        if (_sparse is not null)
            return _sparse.TryGetValue(productId, out category);
        category = (ulong)productId < (ulong)_dense.Length ? _dense[productId] : None;
        return category != None;
    }
}
