using System.Text;
using KpiPipeline.Kpis;

namespace KpiPipeline.Transform;

/// <summary>
/// The products' categories as the join uses them: each distinct category once, as UTF-8, numbered in order of
/// first appearance (<see cref="Names"/>), and each product's category number, found from the product id's bytes.
/// Numeric ids (the usual case) are looked up as numbers, others by their characters: no string per line. The
/// numbers travel with the joined lines, so the aggregator finds a line's category without comparing names.
/// </summary>
internal sealed class ProductCategories
{
    private readonly CategoriesByNumber _byNumber;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _byText;
    private char[] _chars = new char[64];

    /// <param name="categoryByProduct">Each product id's category.</param>
    public ProductCategories(IReadOnlyDictionary<string, string> categoryByProduct)
    {
        var codes = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<byte[]>();
        var byNumber = new Dictionary<long, int>();
        var byText = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (product, category) in categoryByProduct)
        {
            if (!codes.TryGetValue(category, out var code))
            {
                codes.Add(category, code = names.Count);
                names.Add(Encoding.UTF8.GetBytes(category));
            }
            byText[product] = code;
            if (DistinctSet.TryNumber(product.AsSpan(), out var number))
                byNumber[number] = code;
        }
        Names = names;
        _byNumber = new CategoriesByNumber(byNumber);
        _byText = byText.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The categories by number.</summary>
    public IReadOnlyList<byte[]> Names { get; }

    /// <summary>The category number of the product with id <paramref name="productId"/> (UTF-8, trimmed).</summary>
    public bool TryFind(ReadOnlySpan<byte> productId, out int category)
    {
        if (DistinctSet.TryNumber(productId, out var number))
            return _byNumber.TryGet(number, out category);
        if (_chars.Length < productId.Length)
            _chars = new char[productId.Length * 2];
        return _byText.TryGetValue(_chars.AsSpan(0, Encoding.UTF8.GetChars(productId, _chars)), out category);
    }
}
