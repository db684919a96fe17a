using KpiPipeline.Kpis;

namespace KpiPipeline.Core.Tests.Kpis;

public sealed class LongSetTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Add_ValuesWithRepeatsAcrossGrowth_BehavesLikeHashSet(int seed)
    {
        var random = new Random(seed);
        var set = new LongSet();
        var reference = new HashSet<long>();

        for (var i = 0; i < 50_000; i++)
        {
            // Sequential-ish ids, huge ids and zero, with many repeats.
            var value = random.Next(4) switch
            {
                0 => 0,
                1 => random.NextInt64(999_999_999_999_999_999),
                _ => random.Next(30_000),
            };
            Assert.Equal(reference.Add(value), set.Add(value));
        }

        Assert.Equal(reference.Count, set.Count);
        for (var probe = 0; probe < 40_000; probe++)
            Assert.Equal(reference.Contains(probe), set.Contains(probe));
    }

    [Fact]
    public void Add_ValueAgainRightAfterItself_IsNotNewAndTheSetStaysExact()
    {
        var set = new LongSet();

        bool[] added = [set.Add(5), set.Add(5), set.Add(6), set.Add(6), set.Add(5), set.Add(0), set.Add(0)];

        Assert.Equal([true, false, true, false, false, true, false], added);
        Assert.Equal(3, set.Count);
    }

    [Fact]
    public void CountIn_OverlappingSets_CountsCommonValues()
    {
        var left = new LongSet();
        var right = new LongSet();
        for (var i = 0; i < 1000; i++)
            left.Add(i * 3L);
        for (var i = 0; i < 1000; i++)
            right.Add(i * 5L);
        var expected = Enumerable.Range(0, 1000).Select(i => i * 3L).Intersect(Enumerable.Range(0, 1000).Select(i => i * 5L)).Count();

        Assert.Equal(expected, left.CountIn(right));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Include_MixedWithAddAndEveryRead_AnswersLikeHashSet(int seed)
    {
        var random = new Random(seed);
        using var set = new LongSet();
        using var other = new LongSet();
        var reference = new HashSet<long>();
        var otherReference = new HashSet<long>();

        for (var i = 0; i < 20_000; i++)
        {
            long value = random.Next(8) == 0 ? random.NextInt64(999_999_999_999_999_999) : random.Next(5_000);
            switch (random.Next(10))
            {
                case 0:
                    Assert.Equal(reference.Add(value), set.Add(value));
                    break;
                case 1:
                    Assert.Equal(reference.Contains(value), set.Contains(value));
                    break;
                case 2:
                    other.Include(value);
                    otherReference.Add(value);
                    break;
                case 3 when i % 97 == 0:
                    Assert.Equal(reference.Count(otherReference.Contains), set.CountIn(other));
                    Assert.Equal(reference.Overlaps(otherReference), set.Overlaps(other));
                    break;
                default:
                    set.Include(value);
                    reference.Add(value);
                    break;
            }
        }

        Assert.Equal(reference.Count, set.Count);
        set.UnionWith(other);
        reference.UnionWith(otherReference);
        Assert.Equal(reference.Count, set.Count);
        Assert.All(reference, value => Assert.True(set.Contains(value)));
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(7, false)]
    [InlineData(8, true)]
    [InlineData(9, true)]
    public void Add_AscendingRunsAcrossChunksRevisitsAndUnions_AnswersLikeHashSet(int seed, bool jumping)
    {
        // Ascending runs over chunks of 65,536 ids (first seen, or seen before), unions that fill a chunk behind
        // the set's back, and (jumping) ids that jump between chunks value by value, after which the set stops
        // keeping a chunk of its own.
        var random = new Random(seed);
        using var set = new LongSet();
        var reference = new HashSet<long>();
        long next = random.Next(1000);
        for (var step = 0; step < 300; step++)
        {
            switch (random.Next(6))
            {
                case 0:
                    // Back to an earlier stretch (its chunk already holds values).
                    next = random.NextInt64(next + 1);
                    break;
                case 1:
                    using (var other = new LongSet())
                    {
                        // Often just ahead of the run, in the chunk it is adding to.
                        var first = next + (random.Next(2) == 0 ? random.Next(1, 2_000) : random.Next(-70_000, 140_000));
                        for (var i = 0; i < 50; i++)
                        {
                            var value = Math.Max(0, first + (i * 37));
                            other.Include(value);
                            reference.Add(value);
                        }
                        set.UnionWith(other);
                    }
                    break;
                case 2 when jumping:
                    for (var i = 0; i < 40; i++)
                    {
                        var value = random.Next(2) == 0 ? random.Next(200_000) : 900_000 + random.Next(200_000);
                        Assert.Equal(reference.Add(value), set.Add(value));
                    }
                    break;
            }
            var run = random.Next(1, 3000);
            for (var i = 0; i < run; i++)
            {
                next += random.Next(3);
                if (random.Next(20) == 0)
                {
                    set.Include(next + 1);
                    reference.Add(next + 1);
                }
                Assert.Equal(reference.Add(next), set.Add(next));
            }
        }

        Assert.Equal(reference.Count, set.Count);
        Assert.All(reference, value => Assert.True(set.Contains(value)));
    }
}
