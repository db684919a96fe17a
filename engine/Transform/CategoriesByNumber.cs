namespace KpiPipeline.Transform;

/// <summary>
/// Categories (UTF-8) of the products whose ids are numbers, looked up once per joined line. Product ids are
/// usually small and dense (1..N), and then the table is an array indexed by id; otherwise a dictionary.
/// </summary>
internal sealed class CategoriesByNumber
{
    // Dense up to this many slots per product (with room for a few thousand gaps): a few bytes per id at most.
    private const int SlotsPerProduct = 4;
    private const int MinimumSlots = 4096;

    private readonly byte[]?[] _dense;
    private readonly Dictionary<long, byte[]>? _sparse;

    public CategoriesByNumber(IReadOnlyDictionary<long, byte[]> categories)
    {
        var limit = Math.Max(MinimumSlots, (long)categories.Count * SlotsPerProduct);
        if (categories.Keys.All(id => id >= 0 && id < limit))
        {
            _dense = new byte[]?[categories.Count == 0 ? 0 : categories.Keys.Max() + 1];
            foreach (var (id, category) in categories)
                _dense[id] = category;
        }
        else
        {
            _dense = [];
            _sparse = new Dictionary<long, byte[]>(categories);
        }
    }

    public bool TryGet(long productId, out byte[] category)
    {
        if (_sparse is not null)
            return _sparse.TryGetValue(productId, out category!);
        category = (ulong)productId < (ulong)_dense.Length ? _dense[productId]! : null!;
        return category is not null;
    }
}
