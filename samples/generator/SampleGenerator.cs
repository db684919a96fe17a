using System.Globalization;
using System.Text;
using KpiPipeline.Lake;

namespace KpiPipeline.Samples;

public sealed record SampleOptions
{
    public long Items { get; init; } = 1_000;

    public int Days { get; init; } = 3;

    public DateOnly StartDate { get; init; } = new(2024, 3, 1);

    /// <summary>Part files per day and dataset.</summary>
    public int PartsPerDay { get; init; } = 3;

    public int Products { get; init; } = 200;

    /// <summary>The same seed gives byte-identical files.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Share of orders returned.</summary>
    public double ReturnShare { get; init; } = 0.08;

    /// <summary>
    /// Share of orders created in the last hour before midnight that arrive in the next day's folder, so a batch
    /// touches its own date and the one before (as exports cut at midnight in production do). Zero keeps every
    /// order in its own day's folder and the files of a seed unchanged.
    /// </summary>
    public double LateShare { get; init; }

    /// <summary>
    /// Start every orders and order_items part with one invalid row (rejected by the validator), so validation
    /// must rewrite every file rather than move it: the slow path, for benchmarks. Off leaves a seed's files unchanged.
    /// </summary>
    public bool InvalidFirstRows { get; init; }
}

public sealed record SampleSummary(long Items, long Orders, int Products, long Bytes);

/// <summary>
/// Writes a deterministic shop export into <c>raw/</c>: products, and for each day several part files of
/// orders and order items. Categories and names need CSV quoting and hold non-ASCII text; about 8% of
/// orders are returned; timestamps mix <c>Z</c>, offsets and fractional seconds.
/// </summary>
public static class SampleGenerator
{
    private static readonly string[] Categories =
    [
        "Tops, Tees & Shirts", "Jeans \"Slim Fit\"", "Outerwear & Coats", "Accessories", "Swim", "Sleep & Lounge",
        "Socks", "Shorts", "Café Collection", "Blazers & Jackets", "Jumpsuits & Rompers", "Sweaters",
    ];

    private static readonly string[] Brands = ["Nordwind", "Über Basics", "Calvin", "Señora Luz", "Blåbær", "Acme"];
    private static readonly string[] Statuses = ["Complete", "Shipped", "Processing"];

    public static async Task<SampleSummary> WriteAsync(IObjectStore store, SampleOptions options, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Items, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Days, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PartsPerDay, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Products, 1);
        if (options.LateShare is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.LateShare, "LateShare is a share between 0 and 1.");
        var random = new Random(options.Seed);
        var bytes = 0L;
        var prices = new decimal[options.Products + 1];
        await using (var products = new CsvOut(await store.CreateAsync(LakeLayout.ProductsKey, cancellationToken).ConfigureAwait(false)))
        {
            products.Line("id,sku,cost,category,name,brand,retail_price,department");
            for (var id = 1; id <= options.Products; id++)
            {
                var retail = Math.Round((decimal)(5 + (random.NextDouble() * 195)), 2);
                prices[id] = retail;
                var cost = Math.Round(retail * (decimal)(0.3 + (random.NextDouble() * 0.4)), 2);
                var category = Categories[random.Next(Categories.Length)];
                var brand = Brands[random.Next(Brands.Length)];
                products.Fields(Text(id), $"SKU-{id:D6}", Money(cost), Quote(category), Quote($"{brand} Nº{id} — {category}"), Quote(brand),
                    Money(retail), random.Next(2) == 0 ? "Women" : "Men");
            }
            bytes += await products.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var users = Math.Max(50, options.Items / 4);
        long itemId = 0, orderId = 0, written = 0;
        for (var day = 0; day < options.Days; day++)
        {
            var date = options.StartDate.AddDays(day);
            var dayItems = (options.Items / options.Days) + (day < options.Items % options.Days ? 1 : 0);
            var partItems = dayItems / options.PartsPerDay;
            for (var part = 0; part < options.PartsPerDay; part++)
            {
                var target = part == options.PartsPerDay - 1 ? dayItems - (partItems * (options.PartsPerDay - 1)) : partItems;
                var stamp = LakeLayout.FormatDate(date);
                var name = $"part-{part:D4}.csv";
                await using var orders = new CsvOut(await store.CreateAsync($"raw/orders/{stamp}/{name}", cancellationToken).ConfigureAwait(false));
                await using var items = new CsvOut(await store.CreateAsync($"raw/order_items/{stamp}/{name}", cancellationToken).ConfigureAwait(false));
                orders.Line("order_id,user_id,status,created_at,returned_at,num_of_item");
                items.Line("id,order_id,product_id,sale_price,quantity,status,created_at,returned_at");
                if (options.InvalidFirstRows)
                {
                    // No random draws here: the rows after them stay those of the seed.
                    orders.Line("bad-order,u,Complete,not a date,,1");
                    items.Line($"0,1,1,n/a,1,Complete,{stamp}T12:00:00Z,");
                }
                var produced = 0L;
                while (produced < target)
                {
                    orderId++;
                    var count = (int)Math.Min(target - produced, 1 + random.Next(4));
                    var returned = random.NextDouble() < options.ReturnShare;
                    var status = returned ? "Returned" : Statuses[random.Next(Statuses.Length)];
                    // The late draw is only made when asked for, so samples without late orders stay byte-identical.
                    var late = options.LateShare > 0 && random.NextDouble() < options.LateShare;
                    var created = late
                        ? date.ToDateTime(new TimeOnly(23, 0)).AddDays(-1).AddSeconds(random.Next(3600))
                        : date.ToDateTime(new TimeOnly(2, 0)).AddSeconds(random.Next(22 * 3600 - 1));
                    var createdText = Timestamp(created, random.Next(10));
                    var returnedAt = returned ? Timestamp(created.AddDays(2 + random.Next(10)), 0) : "";
                    orders.Fields(Text(orderId), Text(1 + random.NextInt64(users)), status, createdText, returnedAt, Text(count));
                    for (var i = 0; i < count; i++)
                    {
                        itemId++;
                        var product = 1 + random.Next(options.Products);
                        var salePrice = Math.Round(prices[product] * (decimal)(0.7 + (random.NextDouble() * 0.3)), 2);
                        var quantity = random.Next(10) < 8 ? 1 : 2 + random.Next(2);
                        items.Fields(Text(itemId), Text(orderId), Text(product), Money(salePrice), Text(quantity), status, createdText, returnedAt);
                    }
                    produced += count;
                    written += count;
                    if (written % 100_000 < count)
                        progress?.Report(written);
                }
                bytes += await orders.CommitAsync(cancellationToken).ConfigureAwait(false);
                bytes += await items.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        progress?.Report(written);
        return new SampleSummary(written, orderId, options.Products, bytes);
    }

    /// <summary>Mostly <c>Z</c>, sometimes an offset (the UTC date stays the same) or fractional seconds.</summary>
    private static string Timestamp(DateTime utc, int style) => style switch
    {
        0 => utc.AddHours(2).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "+02:00",
        1 => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        _ => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
    };

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Money(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Quote(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A CSV object written through a buffered UTF-8 writer.</summary>
    private sealed class CsvOut(IObjectWriter writer) : IAsyncDisposable
    {
        private readonly StreamWriter _text = new(writer.Stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };

        public void Line(string line) => _text.WriteLine(line);

        public void Fields(params ReadOnlySpan<string> fields)
        {
            for (var i = 0; i < fields.Length; i++)
            {
                if (i > 0)
                    _text.Write(',');
                _text.Write(fields[i]);
            }
            _text.Write('\n');
        }

        private bool _committed;

        public async Task<long> CommitAsync(CancellationToken cancellationToken)
        {
            await _text.DisposeAsync().ConfigureAwait(false);
            var length = writer.Stream.Length;
            await writer.CommitAsync(cancellationToken).ConfigureAwait(false);
            _committed = true;
            return length;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_committed)
                await _text.DisposeAsync().ConfigureAwait(false);
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
