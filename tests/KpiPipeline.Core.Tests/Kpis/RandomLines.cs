using KpiPipeline.Kpis;

namespace KpiPipeline.Core.Tests.Kpis;

/// <summary>Seeded random curated lines with the shapes that matter: shared orders, duplicates across batches, returns.</summary>
internal static class RandomLines
{
    private static readonly string[] Categories = ["A", "B, b", "Ça \"c\"", "D"];

    public static List<OrderLine> Create(int seed, int count)
    {
        var random = new Random(seed);
        var lines = new List<OrderLine>(count);
        var dates = new[] { new DateOnly(2024, 1, 1), new DateOnly(2024, 1, 2) };
        var batches = new[] { "2024-01-01", "2024-01-02", "2024-01-03" };
        for (var i = 0; i < count; i++)
        {
            var order = random.Next(1, count / 2 + 2);
            var date = dates[order % 2];
            // Some item ids repeat (a duplicate, possibly from another batch with another price); some lines have none.
            var key = random.Next(10) == 0 ? $"r:{order}|{random.Next(3)}" : $"i:{random.Next(1, count + 1)}";
            lines.Add(new OrderLine(
                date,
                batches[random.Next(batches.Length)],
                key,
                order.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"u{order % 7}",
                $"p{random.Next(20)}",
                Categories[random.Next(Categories.Length)],
                Math.Round((decimal)(random.NextDouble() * 300), 2),
                1 + random.Next(3),
                random.Next(12) == 0));
        }
        return lines;
    }

    /// <summary>What the engines see: each date's lines, newest batch first.</summary>
    public static IEnumerable<OrderLine> NewestBatchFirst(IEnumerable<OrderLine> lines) =>
        lines.OrderByDescending(l => l.BatchId, StringComparer.Ordinal);

    public static KpiSnapshot InProcess(IEnumerable<OrderLine> lines)
    {
        var aggregator = new KpiAggregator();
        foreach (var line in NewestBatchFirst(lines))
            aggregator.Add(line);
        return aggregator.Result();
    }
}
