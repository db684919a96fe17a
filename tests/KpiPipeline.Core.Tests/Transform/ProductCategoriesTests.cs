using System.Text;
using KpiPipeline.Transform;

namespace KpiPipeline.Core.Tests.Transform;

public sealed class ProductCategoriesTests
{
    [Fact]
    public void TryFind_NumericAndTextIds_EachProductsCategoryNumberedOncePerCategory()
    {
        var sut = new ProductCategories(new Dictionary<string, string>
        {
            ["1"] = "Jeans",
            ["2"] = "Tops",
            ["p-3"] = "Jeans",
            ["007"] = "Socks",
            ["9000000"] = "Tops",
        });

        var names = sut.Names.Select(Encoding.UTF8.GetString).ToList();
        Assert.Equal(3, names.Count);
        Assert.Equal(["Jeans", "Socks", "Tops"], names.Order(StringComparer.Ordinal));
        foreach (var (id, category) in new[] { ("1", "Jeans"), ("2", "Tops"), ("p-3", "Jeans"), ("007", "Socks"), ("9000000", "Tops") })
        {
            Assert.True(sut.TryFind(Encoding.UTF8.GetBytes(id), out var number), id);
            Assert.Equal(category, names[number]);
        }
        // "7" is not "007": ids are compared as written unless both are plain numbers.
        foreach (var unknown in new[] { "7", "3", "p-1", "", "02" })
            Assert.False(sut.TryFind(Encoding.UTF8.GetBytes(unknown), out _), unknown);
    }
}
