using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.SparkJob.Tests.SparkConnect.DuckDb;

/// <summary>
/// Curated lines shaped like production, from a seed: up to three dates, each written by up to three batches (the
/// day's own and later ones: late files), items re-delivered by a later batch with another price, orders with several
/// lines and partial returns, lines without item ids, categories with commas, quotes, non-ASCII and empty names, and
/// prices with up to six decimals, many ending in 5 so that rounding half away from zero is exercised.
/// </summary>
internal static class RandomCuratedLines
{
    private static readonly string[] Categories = ["Books", "Électronique", "Toys, \"Kids\"", "", "家居", "Books "];

    public static IReadOnlyList<OrderLine> Generate(int seed)
    {
        var random = new Random(seed);
        var first = new DateOnly(2031, 1, 1).AddDays(random.Next(300));
        var lines = new List<OrderLine>();
        foreach (var date in Enumerable.Range(0, random.Next(1, 4)).Select(first.AddDays))
        {
            var items = Enumerable.Range(0, random.Next(3, 40)).Select(i => $"{date.DayNumber}-{i}").ToArray();
            var orders = Enumerable.Range(0, Math.Max(1, items.Length / 3)).Select(i => $"o{date.DayNumber}-{i}").ToArray();
            var batches = Enumerable.Range(0, random.Next(1, 4)).Select(i => LakeLayout.FormatDate(date.AddDays(i)));
            foreach (var batch in batches)
            {
                // Each batch delivers a random part of the day's items (a later batch re-delivers some), keys unique per batch.
                foreach (var item in items.Where(_ => random.NextDouble() < 0.6))
                {
                    var keyed = random.NextDouble() < 0.85;
                    var order = orders[random.Next(orders.Length)];
                    lines.Add(new OrderLine(
                        date,
                        batch,
                        keyed ? $"i:{item}" : $"r:{item},{order}",
                        order,
                        $"u{random.Next(1 + (orders.Length / 2))}",
                        $"p{random.Next(20)}",
                        Categories[random.Next(Categories.Length)],
                        Price(random),
                        random.NextDouble() < 0.05 ? 1_000_000 : random.Next(1, 1000),
                        random.NextDouble() < 0.12));
                }
            }
        }

        return lines;
    }

    private static decimal Price(Random random)
    {
        var scale = random.Next(0, 7);
        var units = (decimal)random.NextInt64(0, 100_000_000);
        if (random.NextDouble() < 0.3)
            units = (units * 10) + 5; // ends in 5 at the last place
        return units / (decimal)Math.Pow(10, scale);
    }
}
