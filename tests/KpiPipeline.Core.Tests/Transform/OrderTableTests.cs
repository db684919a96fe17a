using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KpiPipeline.Curated;
using KpiPipeline.Transform;

namespace KpiPipeline.Core.Tests.Transform;

public sealed class OrderTableTests
{
    private sealed record Order(string Id, string User, long CreatedAt, bool Returned);

    /// <summary>
    /// Orders with dense, scattered, text and repeated ids, set in any order: every lookup answers what a dictionary
    /// of the last version of each order answers, and ids never set are not found.
    /// </summary>
    [Property(MaxTest = 60)]
    public Property Find_AfterAnySequenceOfSets_AnswersLikeADictionaryOfTheLastVersion()
    {
        var shapes = Gen.Elements("dense", "scattered", "mixed", "interleaved");
        return Prop.ForAll(Arb.From(shapes), Arb.From(Gen.Choose(1, 100_000)), Arb.From(Gen.Choose(0, 30_000)), (shape, seed, count) =>
        {
            var random = new Random(seed);
            var orders = Generate(shape, random, count);
            var table = new OrderTable();
            var expected = new Dictionary<string, Order>(StringComparer.Ordinal);
            foreach (var order in orders)
            {
                table.Set(Encoding.UTF8.GetBytes(order.Id), Encoding.UTF8.GetBytes(order.User), order.CreatedAt, order.Returned);
                expected[order.Id] = order;
            }

            var users = new Utf8Column(16, 8);
            foreach (var order in expected.Values)
            {
                var index = table.Find(Encoding.UTF8.GetBytes(order.Id));
                if (index < 0 || table.CreatedAt(index) != order.CreatedAt || table.Returned(index) != order.Returned)
                    return false;
                table.CopyUserId(index, users);
                if (Encoding.UTF8.GetString(users[users.Count - 1]) != order.User)
                    return false;
            }
            var absent = new[] { "999999999999999999", "x-never", "0", "41" }.Where(id => !expected.ContainsKey(id));
            return table.Count == expected.Count && absent.All(id => table.Find(Encoding.UTF8.GetBytes(id)) == -1);
        });
    }

    [Fact]
    public void Find_OrdersWithScatteredEighteenDigitIds_FindsEveryOneAndNoOther()
    {
        var table = new OrderTable();
        var ids = Enumerable.Range(0, 50_000).Select(i => 100_000_000_000_000_000L + (i * 7_919_000_003L)).ToList();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
            table.Set(Encoding.UTF8.GetBytes(id.ToString(System.Globalization.CultureInfo.InvariantCulture)), "1"u8, i, false);

        Assert.All(ids.Select((id, i) => (id, i)), pair =>
            Assert.Equal(pair.i, table.CreatedAt(table.Find(Encoding.UTF8.GetBytes(pair.id.ToString(System.Globalization.CultureInfo.InvariantCulture))))));
        Assert.Equal(-1, table.Find("100000000000000001"u8));
    }

    [Fact]
    public void Set_AMillionDenseOrders_CostsUnder26BytesAnOrder()
    {
        var table = new OrderTable();
        Span<byte> id = stackalloc byte[20];
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i <= 1_000_000; i++)
        {
            System.Buffers.Text.Utf8Formatter.TryFormat(i, id, out var length);
            table.Set(id[..length], id[..length], i, false);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 26_000_000, $"{allocated:N0} bytes for a million orders");
    }

    private static List<Order> Generate(string shape, Random random, int count)
    {
        var orders = new List<Order>(count);
        for (var i = 0; i < count; i++)
        {
            var id = shape switch
            {
                "dense" => (1_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "scattered" => random.NextInt64(0, 999_999_999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "interleaved" => ((long)(i % 4) * 5_000_000 + i / 4).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => random.Next(6) switch
                {
                    0 => $"o-{random.Next(count + 1)}",
                    1 => $"00{random.Next(count + 1)}",
                    _ => random.Next(count * 2 + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            };
            var user = random.Next(4) == 0 ? $"u{random.Next(1000)}" : random.Next(0, 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            orders.Add(new Order(id, user, random.NextInt64(0, 1L << 50), random.Next(5) == 0));
        }
        return orders;
    }
}
