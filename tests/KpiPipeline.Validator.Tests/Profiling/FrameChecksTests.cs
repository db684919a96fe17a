using System.Globalization;
using System.Text.Json;
using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Profiling;
using KpiPipeline.Validator.Tests.Builders;

namespace KpiPipeline.Validator.Tests.Profiling;

/// <summary>
/// The frame-level checks through the real validator: a batch laid out in a lake, validated with the
/// <see cref="FrameInspector"/>; expected figures are computed in the test from the rows it wrote.
/// </summary>
public sealed class FrameChecksTests : IDisposable
{
    private readonly TestLake _lake = new();

    public void Dispose() => _lake.Dispose();

    private Task<BatchValidationResult> ValidateAsync(string manifestKey, ExpectationSettings? settings = null) =>
        _lake.CreateValidator(inspector: new FrameInspector(settings ?? ExpectationSettings.Default)).ValidateAsync(manifestKey, CancellationToken.None);

    private static ExpectationResult Expectation(FileValidationResult file, string id) =>
        Assert.Single(Assert.IsType<FileQuality>(file.Quality).Expectations, e => e.Id == id);

    private static FileValidationResult File(BatchValidationResult result, Dataset dataset) => result.Files.First(f => f.Dataset == dataset);

    /// <summary>Products 1..n in categories of ten, prices varying a little around 20.</summary>
    private static List<string> Products(int count) =>
        [.. Enumerable.Range(1, count).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p},SKU-{p},Tee {p},Cat{p % 4},{5 + (p % 3)}.00,{19 + (p % 5)}.99"))];

    [Fact]
    public async Task Validate_OneDuplicateSkuAmongManyProducts_WarnsWithTheLinesAndTheBatchGoesOn()
    {
        var products = Products(200);
        products[149] = "150,SKU-7,Tee 150,Cat2,5.00,19.99"; // line 151 repeats line 8's sku
        var manifest = _lake.WithStandardBatch().Put(LakeLayout.ProductsKey, CsvText.Lines(CsvText.ProductsHeader, products)).WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal(BatchOutcome.Valid, result.Outcome);
        var duplicate = Expectation(File(result, Dataset.Products), "products.duplicate_sku");
        Assert.Equal(ExpectationStatus.Warning, duplicate.Status);
        Assert.Equal(1.0 / 200, duplicate.Observed);
        Assert.Contains("sku SKU-7 on lines 8 and 151", duplicate.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ManyDuplicateSkus_QuarantinesProductsAndRejectsTheBatchNamingTheExpectation()
    {
        var products = Products(100);
        for (var p = 90; p < 100; p++)
            products[p] = products[p].Replace($"SKU-{p + 1}", "SKU-1", StringComparison.Ordinal);
        var manifest = _lake.WithStandardBatch().Put(LakeLayout.ProductsKey, CsvText.Lines(CsvText.ProductsHeader, products)).WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal(BatchOutcome.Rejected, result.Outcome);
        Assert.Equal("products are unusable (expectation_not_met)", result.RejectionReason);
        var file = File(result, Dataset.Products);
        Assert.Equal(ValidationRules.ExpectationNotMet, file.FileError?.Rule);
        Assert.StartsWith("products.duplicate_sku", file.FileError!.Expected, StringComparison.Ordinal);
        Assert.StartsWith("0.1 (10 repeating an earlier sku", file.FileError.Found, StringComparison.Ordinal);
        Assert.True(_lake.Exists(TestLake.OrdersKey()), "orders stay in raw/ for a run with fixed products");
    }

    [Fact]
    public async Task Validate_CostAboveRetailAndAPriceOutlier_WarnNamingTheProducts()
    {
        var products = Products(40);
        products[4] = "5,SKU-5,Tee 5,Cat1,25.00,19.99";      // cost above retail
        products[12] = "13,SKU-13,Tee 13,Cat1,5.00,899.00";   // Cat1's prices are 19.99..23.99
        var manifest = _lake.WithStandardBatch().Put(LakeLayout.ProductsKey, CsvText.Lines(CsvText.ProductsHeader, products)).WriteManifest();

        var result = await ValidateAsync(manifest);

        var file = File(result, Dataset.Products);
        var cost = Expectation(file, "products.cost_above_retail");
        Assert.Equal((ExpectationStatus.Warning, 1.0 / 40), (cost.Status, cost.Observed));
        Assert.Contains("id 5: cost 25.00 > retail_price 19.99", cost.Detail, StringComparison.Ordinal);
        var outliers = Expectation(file, "products.price_outliers");
        Assert.Equal((ExpectationStatus.Warning, 1.0 / 40), (outliers.Status, outliers.Observed));
        Assert.Contains("id 13 in Cat1: retail_price 899.00", outliers.Detail, StringComparison.Ordinal);
        Assert.All(new[] { "products.duplicate_id", "products.duplicate_sku", "products.negative_price", "products.category_missing" },
            id => Assert.Equal(ExpectationStatus.Met, Expectation(file, id).Status));
        Assert.Equal(BatchOutcome.Valid, result.Outcome);
    }

    [Fact]
    public async Task Validate_ReturnedShareBeyondTheHardBound_QuarantinesTheOrdersFileAndItsItemsLoseTheirOrders()
    {
        var orders = Enumerable.Range(1, 20).Select(o => CsvText.Order(o, status: o <= 14 ? "returned" : "Complete"));
        var manifest = _lake.WithStandardBatch().Put(TestLake.OrdersKey(), CsvText.Lines(CsvText.OrdersHeader, orders)).WriteManifest();

        var result = await ValidateAsync(manifest);

        var file = File(result, Dataset.Orders);
        Assert.Equal(FileDisposition.Quarantined, file.Disposition);
        Assert.Equal(ValidationRules.ExpectationNotMet, file.FileError?.Rule);
        Assert.Equal("orders.returned_share warn above 0.25, reject above 0.6", file.FileError!.Expected);
        Assert.Equal("0.7 (14 of 20 sampled orders)", file.FileError.Found);
        Assert.True(_lake.Exists(TestLake.In(Stage.Invalid, TestLake.OrdersKey())));
        // The quarantined file's keys stop counting, so every item now points at an unknown order.
        Assert.Equal(40, File(result, Dataset.OrderItems).RejectedByRule.GetValueOrDefault("unknown_order"));
        Assert.Equal(BatchOutcome.Rejected, result.Outcome);
    }

    [Fact]
    public async Task Validate_ReturnedShareWithinLooserConfiguredBounds_OnlyWarns()
    {
        var orders = Enumerable.Range(1, 20).Select(o => CsvText.Order(o, status: o <= 14 ? "Returned" : "Complete"));
        var manifest = _lake.WithStandardBatch().Put(TestLake.OrdersKey(), CsvText.Lines(CsvText.OrdersHeader, orders)).WriteManifest();
        var settings = new ExpectationSettings { Bounds = new Dictionary<string, ExpectationBounds> { ["orders.returned_share"] = new(WarnMax: 0.5, RejectMax: 0.9) } }.WithDefaults();

        var result = await ValidateAsync(manifest, settings);

        Assert.Equal(BatchOutcome.Valid, result.Outcome);
        Assert.Equal(ExpectationStatus.Warning, Expectation(File(result, Dataset.Orders), "orders.returned_share").Status);
    }

    [Fact]
    public async Task Validate_OrdersDatedFarFromTheBatchDate_WarnForAFewAndRejectForMost()
    {
        // Batch date 2024-01-15: the 14th and the 16th are inside the ±1 day window, the 12th is not.
        var fewOff = Enumerable.Range(1, 20).Select(o => CsvText.Order(o, created: o == 3 ? "2024-01-12T08:00:00Z" : o == 4 ? "2024-01-16T23:59:59Z" : "2024-01-14T00:00:00Z"));
        var mostOff = Enumerable.Range(21, 10).Select(o => CsvText.Order(o, created: o > 23 ? "2023-12-01T00:00:00Z" : "2024-01-15T12:00:00Z"));
        var items = Enumerable.Range(1, 60).Select(i => CsvText.Item(i));
        var manifest = _lake.WithStandardBatch()
            .Put(TestLake.OrdersKey(), CsvText.Lines(CsvText.OrdersHeader, fewOff))
            .Put(TestLake.OrdersKey("part-0001.csv"), CsvText.Lines(CsvText.OrdersHeader, mostOff))
            .Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, items))
            .WriteManifest();

        var result = await ValidateAsync(manifest);

        var few = Expectation(result.Files.Single(f => f.Key == TestLake.OrdersKey()), "orders.created_at_off_window");
        Assert.Equal((ExpectationStatus.Warning, 1.0 / 20), (few.Status, few.Observed));
        Assert.Contains("on lines 4;", few.Detail, StringComparison.Ordinal);
        Assert.Contains("created_at from 2024-01-12T08:00:00Z to 2024-01-16T23:59:59Z", few.Detail, StringComparison.Ordinal);
        var most = result.Files.Single(f => f.Key == TestLake.OrdersKey("part-0001.csv"));
        Assert.Equal((FileDisposition.Quarantined, "orders.created_at_off_window warn above 0, reject above 0.5"), (most.Disposition, most.FileError?.Expected));
    }

    [Fact]
    public async Task Validate_OrderItems_ProfileMatchesFiguresComputedFromTheRows()
    {
        var prices = new[] { "19.99", "0.50", "120.00", "7.25" };
        var quantities = new[] { "1", "", "3", "2" };
        var items = Enumerable.Range(1, 40).Select(i => CsvText.Item(i, price: prices[i % 4], quantity: quantities[i % 4]));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, items)).WriteManifest();

        var result = await ValidateAsync(manifest);

        var profile = Assert.IsType<FileQuality>(File(result, Dataset.OrderItems).Quality).Profile;
        Assert.Equal((40L, true), (profile.SampleRows, profile.Complete));
        var price = profile.Columns.Single(c => c.Column == "sale_price");
        var expectedPrices = Enumerable.Range(1, 40).Select(i => decimal.Parse(prices[i % 4], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal((expectedPrices.Min(), expectedPrices.Max(), expectedPrices.Average(), 0L, 4L),
            (price.Min, price.Max, price.Mean, price.Nulls, price.Distinct));
        var quantity = profile.Columns.Single(c => c.Column == "quantity");
        Assert.Equal((10L, 0.25, 3L, 1m, 3m, 2m), (quantity.Nulls, quantity.NullRatio, quantity.Distinct, quantity.Min, quantity.Max, quantity.Mean));
        var returnedAt = profile.Columns.Single(c => c.Column == "returned_at");
        Assert.Equal((false, 40L, 1.0), (returnedAt.Present, returnedAt.Nulls, returnedAt.NullRatio));
        Assert.Equal(2.0, Expectation(File(result, Dataset.OrderItems), "order_items.items_per_order").Observed);
    }

    [Fact]
    public async Task Validate_TextLikeNaOrDash_IsAValueNotAMissingOne()
    {
        // Deedle's CSV reader would read "NA", "-" and "NaN" as missing; the frame is built from the schema instead.
        var users = new[] { "NA", "-", "NaN", "u1" };
        var orders = Enumerable.Range(1, 20).Select(o => CsvText.Order(o, user: users[o % 4]));
        var manifest = _lake.WithStandardBatch().Put(TestLake.OrdersKey(), CsvText.Lines(CsvText.OrdersHeader, orders)).WriteManifest();

        var result = await ValidateAsync(manifest);

        var user = Assert.IsType<FileQuality>(File(result, Dataset.Orders).Quality).Profile.Columns.Single(c => c.Column == "user_id");
        Assert.Equal((0L, 4L), (user.Nulls, user.Distinct));
    }

    [Fact]
    public async Task Validate_LargerFileThanTheSample_ProfilesTheFirstRowsOnly()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();

        var result = await ValidateAsync(manifest, new ExpectationSettings { SampleRows = 15 });

        var items = File(result, Dataset.OrderItems);
        var profile = Assert.IsType<FileQuality>(items.Quality).Profile;
        Assert.Equal((15L, false, 40L), (profile.SampleRows, profile.Complete, items.Accepted));
        Assert.Equal(15L, profile.Columns.Single(c => c.Column == "id").Distinct);
    }

    [Fact]
    public async Task Validate_Report_CarriesTheQualityInJsonAndTheSummaryPivotsRejectsByFileAndRule()
    {
        var items = Enumerable.Range(1, 40).Select(i => i == 3 ? CsvText.Item(i, price: "abc") : i == 5 ? CsvText.Item(i, order: 99) : CsvText.Item(i));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, items)).WriteManifest();

        var result = await ValidateAsync(manifest);

        using var json = JsonDocument.Parse(_lake.ReadBytes(result.ReportKey));
        var quality = json.RootElement.GetProperty("files")[2].GetProperty("quality");
        Assert.Equal("sale_price", quality.GetProperty("profile").GetProperty("columns")[2].GetProperty("column").GetString());
        Assert.Equal("met", quality.GetProperty("expectations")[0].GetProperty("status").GetString());
        var summary = _lake.Read(result.SummaryKey);
        Assert.Contains("Rejects by file and rule:\n  file                                  not_a_number  unknown_order  rows rejected\n"
            + "  order_items/2024-01-15/part-0000.csv             1              1              2\n", summary, StringComparison.Ordinal);
        Assert.Contains("ok       order_items.items_per_order = ", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_UnknownExpectationOrBadBound_SaysWhatIsWrong()
    {
        var path = Path.Combine(_lake.Root, "settings.json");
        await System.IO.File.WriteAllTextAsync(path, """{ "expectations": { "orders.returned_shares": { "warn_max": 0.3 } } }""");
        var unknown = await Assert.ThrowsAsync<InvalidDataException>(() => ExpectationSettings.LoadAsync(path, CancellationToken.None));
        Assert.Contains("unknown expectation 'orders.returned_shares'", unknown.Message, StringComparison.Ordinal);

        await System.IO.File.WriteAllTextAsync(path, """{ "expectations": { "orders.returned_share": { "warn_max": 0.5, "warn_min": 0.6 } } }""");
        var inverted = await Assert.ThrowsAsync<InvalidDataException>(() => ExpectationSettings.LoadAsync(path, CancellationToken.None));
        Assert.Contains("orders.returned_share: a minimum is above its maximum", inverted.Message, StringComparison.Ordinal);

        await System.IO.File.WriteAllTextAsync(path, """{ "sample_rows": 50, "expectations": { "orders.returned_share": { "warn_max": 0.5 } } }""");
        var loaded = await ExpectationSettings.LoadAsync(path, CancellationToken.None);
        Assert.Equal((50, new ExpectationBounds(WarnMax: 0.5), Expectations.DefaultBounds["products.duplicate_sku"]),
            (loaded.SampleRows, loaded.For("orders.returned_share"), loaded.For("products.duplicate_sku")));
    }
}
