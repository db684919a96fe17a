using System.Buffers.Text;
using System.Globalization;
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
    public void KeyHash_EveryShortValueOverAFewBytes_HashesApart()
    {
        // Every value of 0-9 bytes over four byte values: each byte of a value's tail must reach the hash.
        byte[] alphabet = [0, (byte)'1', (byte)'a', 0xFF];
        var seen = new Dictionary<ulong, string>();
        var value = new byte[9];
        for (var length = 0; length <= 9; length++)
        {
            var combinations = 1 << (2 * length);
            for (var code = 0; code < combinations; code++)
            {
                for (var i = 0; i < length; i++)
                    value[i] = alphabet[(code >> (2 * i)) & 3];
                var hash = KeyHash.Of(value.AsSpan(0, length), 0);
                var text = Convert.ToHexString(value, 0, length);
                Assert.True(seen.TryAdd(hash, text), $"{text} hashes as {seen.GetValueOrDefault(hash)}");
            }
        }
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

    /// <summary>
    /// Against a model written here (a Dictionary plus the keys added since the latest mark): runs of dense ids
    /// that fill pages past the point where they get arrays of their own, ids around the ends of the paged
    /// window, scattered 18-digit ids and non-numeric keys, with marks and rollbacks anywhere in between.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property AnySequenceOfDenseSparseAndTextKeys_AnswersLikeTheModel()
    {
        var dense = Gen.Choose(0, 3 * 4096).Select(i => (long)i);
        var edges = Gen.OneOf(
            Gen.Choose(0, 8192).Select(i => (1L << 31) - 4096 + i),
            Gen.Choose(0, 8192).Select(i => (1L << 32) - 4096 + i));
        var scattered = from high in Gen.Choose(0, 999_999_999) from low in Gen.Choose(0, 999_999_999) select (high * 1_000_000_000L) + low;
        var number = Gen.Frequency((4, dense), (2, edges), (2, scattered));
        var key = Gen.Frequency(
            (6, number.Select(n => n.ToString(CultureInfo.InvariantCulture))),
            (1, Gen.Elements("a", "07", "+5", "x-1", "", "99999999999999999999")));
        var run = from start in Gen.OneOf(dense, edges) from length in Gen.Choose(1, 2500) from step in Gen.Elements(1, 1, 1, 2, 5) select (start, length, step);
        var operation = Gen.Frequency(
            (5, key.Select(k => new Operation(OperationKind.Add, k, default))),
            (3, key.Select(k => new Operation(OperationKind.Contains, k, default))),
            (3, run.Select(r => new Operation(OperationKind.AddRun, "", r))),
            (1, Gen.Constant(new Operation(OperationKind.Mark, "", default))),
            (1, Gen.Constant(new Operation(OperationKind.Rollback, "", default))));
        return Prop.ForAll(operation.ListOf().ToArbitrary(), operations =>
        {
            var sut = new KeyTable();
            var model = new Dictionary<string, int>();
            var addedSinceMark = new List<string>();
            KeyTable.Checkpoint? mark = null;
            var value = 0;
            bool Add(string k)
            {
                var added = sut.TryAdd(Bytes(k), ++value, out var existing);
                if (added != model.TryAdd(k, value) || (!added && existing != model[k]))
                    return false;
                if (added)
                    addedSinceMark.Add(k);
                return true;
            }
            foreach (var op in operations)
            {
                switch (op.Kind)
                {
                    case OperationKind.Add when !Add(op.Key):
                        return false;
                    case OperationKind.Contains when sut.Contains(Bytes(op.Key)) != model.ContainsKey(op.Key):
                        return false;
                    case OperationKind.AddRun:
                        for (var i = 0; i < op.Run.Length; i++)
                        {
                            if (!Add((op.Run.Start + ((long)i * op.Run.Step)).ToString(CultureInfo.InvariantCulture)))
                                return false;
                        }
                        break;
                    case OperationKind.Mark:
                        mark = sut.Mark();
                        addedSinceMark.Clear();
                        break;
                    case OperationKind.Rollback when mark is { } latest:
                        sut.Rollback(latest);
                        foreach (var undone in addedSinceMark)
                        {
                            model.Remove(undone);
                            if (sut.Contains(Bytes(undone)))
                                return false;
                        }
                        addedSinceMark.Clear();
                        if (sut.Count != model.Count)
                            return false;
                        break;
                }
            }
            return sut.Count == model.Count && model.All(pair => !sut.TryAdd(Bytes(pair.Key), 0, out var stored) && stored == pair.Value);
        });
    }

    /// <summary>Shop ids count up: a million of them must not take the 16 bytes a key of a hash table.</summary>
    [Fact]
    public void TryAdd_AMillionDenseIds_AllocatesUnderSixBytesAKey()
    {
        var sut = new KeyTable();
        sut.Mark();
        Span<byte> buffer = stackalloc byte[20];
        var before = GC.GetAllocatedBytesForCurrentThread();

        for (var id = 1; id <= 1_000_000; id++)
        {
            Utf8Formatter.TryFormat(id, buffer, out var length);
            sut.TryAdd(buffer[..length], id, out _);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1_000_000, sut.Count);
        Assert.InRange(allocated, 0, 6_000_000);
    }

    [Fact]
    public void Rollback_OfIdsThatFilledPagesAfterTheMark_KeepsTheIdsFromBefore()
    {
        var sut = CreateSut();
        for (var id = 0; id < 2000; id++)
            sut.TryAdd(Bytes(id.ToString(CultureInfo.InvariantCulture)), id, out _);
        var mark = sut.Mark();
        for (var id = 2000; id < 50_000; id++)
            sut.TryAdd(Bytes(id.ToString(CultureInfo.InvariantCulture)), -id, out _);

        sut.Rollback(mark);

        Assert.Equal(2000, sut.Count);
        Assert.False(sut.TryAdd(Bytes("1999"), 0, out var kept));
        Assert.Equal(1999, kept);
        Assert.False(sut.Contains(Bytes("2000")));
        Assert.False(sut.Contains(Bytes("49999")));
        Assert.True(sut.TryAdd(Bytes("4096"), 1, out _));
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

    private enum OperationKind
    {
        Add,
        Contains,
        AddRun,
        Mark,
        Rollback,
    }

    private readonly record struct Operation(OperationKind Kind, string Key, (long Start, int Length, int Step) Run);
}
