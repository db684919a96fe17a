using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KpiPipeline.Contracts;
using KpiPipeline.Csv;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Profiling;

namespace KpiPipeline.Validator.Tests.Profiling;

/// <summary>
/// The frame checks read a typed sample (numbers, quantities and timestamps parsed once, text as UTF-8 bytes).
/// Random files go through the sample and the <see cref="FrameInspector"/>; the expected profile and expectation
/// details are computed here, with LINQ over the same values read as .NET strings, decimals and dates.
/// </summary>
public sealed class TypedSampleTests
{
    private static readonly DateOnly BatchDate = new(2024, 1, 15);

    private static readonly Gen<string> Price =
        from whole in Gen.Elements("0", "1", "7", "19", "120", "999999999999")
        from fraction in Gen.Elements("", ".0", ".00", ".5", ".50", ".05", ".25", ".250000", ".000001", ".99")
        from pad in Gen.Elements("", " ")
        select pad + whole + fraction + pad;

    private static readonly Gen<string> Timestamp = Gen.Elements(
        "", "2024-01-16T10:00:00Z", "2024-01-16 12:00:00+02:00", "2024-01-17", "2024-01-16T10:00:00.5Z",
        "2024-01-12T08:00:00Z", "2024-01-14T23:59:59Z", " 2023-12-01T00:00:00Z ", "2024-01-16T10:00Z");

    private static readonly Gen<string> Status = Gen.Elements("", "Complete", "Returned", "returned", " RETURNED ", "Processing", "Returnéd", "Señora");

    [Property(MaxTest = 300)]
    public Property Inspect_RandomOrderItems_ProfileAndExpectationsEqualAStraightComputationOverTheValues()
    {
        var row =
            from order in Gen.Choose(1, 12)
            from product in Gen.Elements("P1", "P2", "p1", "Señora", "着物", "P1 ")
            from price in Price
            from quantity in Gen.Elements("", "1", "2", "+3", "10", " 4")
            from status in Status
            from returned in Timestamp
            select new[] { order.ToString(CultureInfo.InvariantCulture), product, price, quantity, status, returned };
        var rows = row.ArrayOf().Where(r => r.Length > 0);

        return Prop.ForAll(rows.ToArbitrary(), generated =>
        {
            // Ids numbered here: an order item's id must be filled and is unique in practice.
            var all = generated.Select((r, i) => new[] { (i + 1).ToString(CultureInfo.InvariantCulture) }.Concat(r).ToArray()).ToList();
            var (quality, records) = Inspect(Dataset.OrderItems, ["id", "order_id", "product_id", "sale_price", "quantity", "status", "returned_at"], all);
            if (records.Count == 0)
                return true;

            var expected = ExpectedProfile(Schemas.For(Dataset.OrderItems), ["id", "order_id", "product_id", "sale_price", "quantity", "status", "returned_at"], records);
            Assert.Equal(expected, quality.Profile.Columns.Select(Describe));

            var orders = records.Select(r => r[1]).GroupBy(o => o, StringComparer.Ordinal).ToList();
            var largest = orders.MaxBy(o => o.Count())!;
            Assert.Equal(
                Describe((double)records.Count / orders.Count, $"{orders.Count} orders; the largest, order_id {largest.Key}, has {largest.Count()} items"),
                Describe(quality, "order_items.items_per_order"));
            var zero = LinesWhere(records, r => r[3].Trim() is var p && p.Length > 0 && decimal.Parse(p, CultureInfo.InvariantCulture) == 0);
            Assert.Equal(Share(records.Count, zero, "with a zero sale_price"), Describe(quality, "order_items.zero_price_share"));
            var noQuantity = records.Count(r => r[4].Trim().Length == 0);
            Assert.Equal(Describe((double)noQuantity / records.Count, null), Describe(quality, "order_items.quantity_null_ratio"));
            return true;
        });
    }

    [Fact]
    public void Inspect_AnAmountPaddedBeyondWhatADecimalHoldsAsWritten_ProfilesItsValueInsteadOfFailing()
    {
        // 33 characters: the row checks accept it (its significant digits are 12.5), no decimal holds 31 digits.
        var padded = "0000000000000000000000000012.5000";
        var (quality, records) = Inspect(Dataset.OrderItems, ["id", "order_id", "product_id", "sale_price", "quantity"],
            [["1", "1", "P1", padded, "1"], ["2", "1", "P2", "7.5", "1"]]);

        Assert.Equal(2, records.Count);
        var price = quality.Profile.Columns.Single(c => c.Column == "sale_price");
        Assert.Equal(12.5m, price.Max);
        Assert.Equal(7.5m, price.Min);
    }

    [Property(MaxTest = 300)]
    public Property Inspect_RandomOrders_ProfileAndExpectationsEqualAStraightComputationOverTheValues()
    {
        var row =
            from order in Gen.Choose(1, 1000)
            from user in Gen.Elements("u1", "u2", "U1", "NA", "-", "NaN", "Zoë")
            from created in Timestamp.Where(t => t.Length > 0)
            from status in Status
            from returned in Timestamp
            select new[] { order.ToString(CultureInfo.InvariantCulture), user, created, status, returned };
        var rows = row.ArrayOf().Where(r => r.Length > 0);

        return Prop.ForAll(rows.ToArbitrary(), all =>
        {
            var (quality, accepted) = Inspect(Dataset.Orders, ["order_id", "user_id", "created_at", "status", "returned_at"], all);
            var records = accepted.ToArray();
            if (records.Length == 0)
                return true;

            var expected = ExpectedProfile(Schemas.For(Dataset.Orders), ["order_id", "user_id", "created_at", "status", "returned_at"], records);
            Assert.Equal(expected, quality.Profile.Columns.Select(Describe));

            var returned = records.Count(r => r[3].Trim().Equals("Returned", StringComparison.OrdinalIgnoreCase) || r[4].Trim().Length > 0);
            Assert.Equal(Describe((double)returned / records.Length, $"{returned} of {records.Length} sampled orders"), Describe(quality, "orders.returned_share"));
            var created = records.Select(r => Utc(r[2].Trim())).ToList();
            var outside = LinesWhere(records, r => Utc(r[2].Trim()) is var c && (c < new DateTime(2024, 1, 14, 0, 0, 0, DateTimeKind.Utc) || c >= new DateTime(2024, 1, 17, 0, 0, 0, DateTimeKind.Utc)));
            var (observed, detail) = Share(records.Length, outside, "created outside 2024-01-14 .. 2024-01-16");
            Assert.Equal(
                (observed, $"{detail ?? "none outside"}; created_at from {Iso(created.Min())} to {Iso(created.Max())}"),
                Describe(quality, "orders.created_at_off_window"));
            return true;
        });
    }

    [Property(MaxTest = 200)]
    public Property Inspect_RandomProducts_DuplicatesAndPricesEqualAStraightComputationOverTheValues()
    {
        var row =
            from id in Gen.Choose(1, 15)
            from sku in Gen.Elements("S-1", "S-2", "s-1", "Ñ-3")
            from cost in Price
            from category in Gen.Elements("", "Jeans", "jeans", "Café")
            from retail in Price
            select new[] { id.ToString(CultureInfo.InvariantCulture), sku, cost, category, retail };
        var rows = row.ArrayOf().Where(r => r.Length > 0);

        return Prop.ForAll(rows.ToArbitrary(), all =>
        {
            var (quality, accepted) = Inspect(Dataset.Products, ["id", "sku", "cost", "category", "retail_price"], all);
            var records = accepted.ToArray();
            if (records.Length == 0)
                return true;

            var expected = ExpectedProfile(Schemas.For(Dataset.Products), ["id", "sku", "cost", "category", "retail_price"], records);
            Assert.Equal(expected, quality.Profile.Columns.Select(Describe));

            foreach (var (column, index) in new[] { ("id", 0), ("sku", 1) })
            {
                var duplicates = LinesWhere(records, (r, i) => records.Take(i).Any(earlier => earlier[index] == r[index]));
                var (observed, detail) = Share(records.Length, duplicates, $"repeating an earlier {column}");
                if (duplicates.Count > 0)
                {
                    var line = duplicates[0];
                    var value = records.First(r => Line(r) == line)[index];
                    detail += $"; e.g. {column} {value} on lines {Line(records.First(r => r[index] == value))} and {line}";
                }
                Assert.Equal((observed, detail), Describe(quality, $"products.duplicate_{column}"));
            }
            var above = LinesWhere(records, r => Amount(r[2]) > Amount(r[4]));
            var (shareAbove, aboveDetail) = Share(records.Length, above, "with cost above retail_price");
            if (above.Count > 0)
            {
                var first = records.First(r => Line(r) == above[0]);
                aboveDetail += $"; e.g. id {first[0]}: cost {Amount(first[2]).ToString(CultureInfo.InvariantCulture)} > retail_price {Amount(first[4]).ToString(CultureInfo.InvariantCulture)}";
            }
            Assert.Equal((shareAbove, aboveDetail), Describe(quality, "products.cost_above_retail"));
            Assert.Equal(Share(records.Length, LinesWhere(records, r => r[3].Length == 0), "without a category"), Describe(quality, "products.category_missing"));
            return true;
        });
    }

    /// <summary>
    /// The file's rows through the row checks, the sample of the accepted ones and the inspector. The batch knows
    /// orders 1 to 12 and every product the generators name. Returns the quality and the accepted rows, each
    /// followed by the line it is on.
    /// </summary>
    private static (FileQuality Quality, List<string[]> Accepted) Inspect(Dataset dataset, string[] header, IReadOnlyList<string[]> records)
    {
        var keys = new BatchKeys();
        foreach (var order in Enumerable.Range(1, 12))
            keys.Orders.TryAdd(Encoding.UTF8.GetBytes(order.ToString(CultureInfo.InvariantCulture)), 0, out _);
        foreach (var product in new[] { "P1", "P2", "p1", "Señora", "着物" })
            keys.Products.TryAdd(Encoding.UTF8.GetBytes(product), 0, out _);
        var text = string.Join("\n", new[] { string.Join(",", header) }.Concat(records.Select(r => string.Join(",", r)))) + "\n";
        using var reader = new CsvReader(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        Assert.True(reader.ReadAsync().AsTask().GetAwaiter().GetResult());
        var binding = Schemas.For(dataset).Bind([.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetString)]);
        var checker = new RowChecker(binding, reader.FieldCount, new ValidationOptions(), new DateTime(2024, 2, 1, 0, 0, 0, DateTimeKind.Utc), BatchDate, keys);
        var sample = new RowSample(binding, 10_000);
        var accepted = new List<string[]>();
        for (var row = 0; reader.ReadAsync().AsTask().GetAwaiter().GetResult(); row++)
        {
            if (checker.Check(reader) is not null)
                continue;
            sample.Add(reader, checker);
            accepted.Add([.. records[row], (row + 2).ToString(CultureInfo.InvariantCulture)]);
        }
        try
        {
            return (new FrameInspector().Inspect(sample.ToSample("raw/file.csv", BatchDate, records.Count, accepted.Count, records.Count - accepted.Count, 0)), accepted);
        }
        finally
        {
            sample.Release();
        }
    }

    /// <summary>Each schema column's profile, computed with LINQ over the file's values as text, decimals and dates.</summary>
    private static List<string> ExpectedProfile(DatasetSchema schema, string[] header, IReadOnlyList<string[]> records)
    {
        var profiles = new List<string>();
        var rows = records.Count;
        foreach (var spec in schema.Columns)
        {
            var index = Array.IndexOf(header, spec.Name);
            if (index < 0)
            {
                profiles.Add(Describe(new ColumnProfile(spec.Name, spec.Kind, false, rows, 1, 0, null, null, null, null, null)));
                continue;
            }
            var values = records.Select(r => r[index].Trim()).Where(v => v.Length > 0).ToList();
            var nulls = rows - values.Count;
            var profile = new ColumnProfile(spec.Name, spec.Kind, true, nulls, (double)nulls / rows, 0, null, null, null, null, null);
            profile = spec.Kind switch
            {
                ColumnKind.Decimal => Numbers(profile, values.ConvertAll(Amount)),
                ColumnKind.Quantity => Numbers(profile, values.ConvertAll(v => (decimal)long.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture))),
                ColumnKind.Timestamp => values.Count == 0
                    ? profile with { Distinct = 0 }
                    : profile with { Distinct = values.Select(Utc).Distinct().Count(), Earliest = values.Select(Utc).Min(), Latest = values.Select(Utc).Max() },
                _ => profile with { Distinct = values.Distinct(StringComparer.Ordinal).Count() },
            };
            profiles.Add(Describe(profile));
        }
        return profiles;
    }

    private static ColumnProfile Numbers(ColumnProfile profile, List<decimal> values) =>
        values.Count == 0 ? profile
        : profile with
        {
            Distinct = values.Distinct().Count(),
            Min = values.Min(),
            Max = values.Max(),
            Mean = decimal.Round(values.Sum() / values.Count, 4, MidpointRounding.AwayFromZero),
        };

    private static decimal Amount(string text) => decimal.Parse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);

    private static DateTime Utc(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static List<long> LinesWhere(IReadOnlyList<string[]> records, Func<string[], bool> predicate) => LinesWhere(records, (r, _) => predicate(r));

    /// <summary>Lines of the accepted rows that match.</summary>
    private static List<long> LinesWhere(IReadOnlyList<string[]> records, Func<string[], int, bool> predicate) =>
        [.. records.Select((r, i) => (r, i)).Where(x => predicate(x.r, x.i)).Select(x => Line(x.r))];

    private static long Line(string[] accepted) => long.Parse(accepted[^1], CultureInfo.InvariantCulture);

    /// <summary>A share of the rows and "n what, on lines a, b, c and k more".</summary>
    private static (double?, string?) Share(int rows, List<long> lines, string what) =>
        ((double)lines.Count / rows, lines.Count == 0 ? null
            : $"{lines.Count} {what}, on lines {string.Join(", ", lines.Take(3))}{(lines.Count > 3 ? $" and {lines.Count - 3} more" : "")}");

    private static (double?, string?) Describe(double? observed, string? detail) => (observed, detail);

    private static (double?, string?) Describe(FileQuality quality, string id)
    {
        var result = quality.Expectations.Single(e => e.Id == id);
        return (result.Observed, result.Detail);
    }

    /// <summary>A profile as the reports print it: decimals with their scale, dates to the tick.</summary>
    private static string Describe(ColumnProfile c) => string.Create(CultureInfo.InvariantCulture,
        $"{c.Column} {c.Kind} {c.Present} nulls {c.Nulls} ({c.NullRatio:R}) distinct {c.Distinct} min {c.Min} max {c.Max} mean {c.Mean} from {c.Earliest:O} to {c.Latest:O}");

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
