using KpiPipeline.Transform;

namespace KpiPipeline.Core.Tests.Transform;

public sealed class CategoriesByNumberTests
{
    public static TheoryData<long[]> IdSets => new()
    {
        { [1, 2, 3, 500] },                       // dense: an array
        { [0, 7, 1L << 40, -3] },                 // far apart and negative: a dictionary
        { [] },
    };

    [Theory]
    [MemberData(nameof(IdSets))]
    public void TryGet_KnownAndUnknownIds_FindsExactlyTheKnownOnes(long[] ids)
    {
        var categories = ids.Select((id, index) => (id, index)).ToDictionary(p => p.id, p => p.index);
        var sut = new CategoriesByNumber(categories);

        foreach (var id in ids)
        {
            Assert.True(sut.TryGet(id, out var category));
            Assert.Equal(categories[id], category);
        }
        foreach (var unknown in new[] { -1L, 4, 499, 501, 5000, long.MaxValue, long.MinValue }.Except(ids))
            Assert.False(sut.TryGet(unknown, out _), $"{unknown} is no product");
    }
}
