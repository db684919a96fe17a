using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KpiPipeline.Validation;

namespace KpiPipeline.Validator.Tests.Validation;

public sealed class KeyTableTests
{
    [Theory]
    [InlineData("7", "007")]
    [InlineData("1", "+1")]
    [InlineData("12", "12 ")]
    [InlineData("123456789012345678", "1234567890123456789")]
    [InlineData("A-1", "a-1")]
    public void TryAdd_KeysThatLookAlike_StayDistinct(string first, string second)
    {
        var sut = CreateSut();

        Assert.True(sut.TryAdd(Bytes(first), 1, out _));
        Assert.True(sut.TryAdd(Bytes(second), 2, out _));

        Assert.False(sut.TryAdd(Bytes(first), 3, out var existing));
        Assert.Equal(1, existing);
    }

    [Fact]
    public void Rollback_AfterGrowth_ForgetsExactlyTheKeysAddedSinceTheMark()
    {
        var sut = CreateSut();
        for (var i = 0; i < 1000; i++)
            sut.TryAdd(Bytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), i, out _);
        var mark = sut.Mark();
        for (var i = 1000; i < 50_000; i++)
            sut.TryAdd(Bytes(i % 3 == 0 ? $"k{i}" : i.ToString(System.Globalization.CultureInfo.InvariantCulture)), i, out _);

        sut.Rollback(mark);

        Assert.Equal(1000, sut.Count);
        Assert.True(sut.Contains(Bytes("999")));
        Assert.False(sut.Contains(Bytes("1000")));
        Assert.False(sut.Contains(Bytes("k1002")));
        Assert.True(sut.TryAdd(Bytes("49999"), 1, out _));
    }

    /// <summary>Against a Dictionary as the model: any interleaving of adds, marks and rollbacks agrees.</summary>
    [Property(MaxTest = 500)]
    public Property TryAddContainsRollback_AnySequence_BehavesLikeADictionaryWithUndo()
    {
        var key = Gen.OneOf(Gen.Choose(0, 3000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.Elements("a", "b", "07", "x-1", "", "99999999999999999999"));
        var operation = Gen.OneOf(
            key.Select(k => (Kind: 0, Key: k)),
            key.Select(k => (Kind: 1, Key: k)),
            Gen.Constant((Kind: 2, Key: "")));
        return Prop.ForAll(operation.ListOf().ToArbitrary(), operations =>
        {
            var sut = CreateSut();
            var model = new Dictionary<string, int>();
            var modelOrder = new List<string>();
            KeyTable.Checkpoint? mark = null;
            var markCount = 0;
            var value = 0;
            foreach (var (kind, k) in operations)
            {
                switch (kind)
                {
                    case 0:
                        var added = sut.TryAdd(Bytes(k), ++value, out var existing);
                        if (added != model.TryAdd(k, value) || (!added && existing != model[k]))
                            return false;
                        if (added)
                            modelOrder.Add(k);
                        break;
                    case 1:
                        if (sut.Contains(Bytes(k)) != model.ContainsKey(k))
                            return false;
                        break;
                    default:
                        if (mark is { } m && value % 2 == 0)
                        {
                            sut.Rollback(m);
                            foreach (var undone in modelOrder.Skip(markCount))
                                model.Remove(undone);
                            modelOrder.RemoveRange(markCount, modelOrder.Count - markCount);
                        }
                        mark = sut.Mark();
                        markCount = modelOrder.Count;
                        break;
                }
            }
            return sut.Count == model.Count && model.Keys.All(k => sut.Contains(Bytes(k)));
        });
    }

    [Fact]
    public void Rollback_ToAnOlderMark_Throws()
    {
        var sut = CreateSut();
        var older = sut.Mark();
        sut.Mark();

        Assert.Throws<InvalidOperationException>(() => sut.Rollback(older));
    }

    /// <summary>Keys that collide into one probe run, then removal from its middle: the rest must stay findable.</summary>
    [Fact]
    public void Rollback_KeysInTheMiddleOfAProbeRun_LaterKeysStillFound()
    {
        var sut = CreateSut();
        var kept = Enumerable.Range(0, 40).Select(i => (i * 64).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        foreach (var key in kept.Take(20))
            sut.TryAdd(Bytes(key), 1, out _);
        var mark = sut.Mark();
        foreach (var key in Enumerable.Range(0, 40).Select(i => ((i * 64) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)))
            sut.TryAdd(Bytes(key), 2, out _);

        sut.Rollback(mark);

        Assert.All(kept.Take(20), key => Assert.True(sut.Contains(Bytes(key))));
        Assert.Equal(20, sut.Count);
    }

    private static KeyTable CreateSut() => new(expectedKeys: 4);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
