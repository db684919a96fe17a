using System.Text.Json;
using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Tests.Builders;
using Microsoft.Extensions.Time.Testing;

namespace KpiPipeline.Validator.Tests.Validation;

public sealed class BatchValidatorTests : IDisposable
{
    private readonly TestLake _lake = new();

    public void Dispose() => _lake.Dispose();

    private BatchValidator CreateSut(ValidationOptions? options = null, TimeProvider? clock = null) => _lake.CreateValidator(options, clock);

    private Task<BatchValidationResult> ValidateAsync(string manifestKey, ValidationOptions? options = null) =>
        CreateSut(options).ValidateAsync(manifestKey, CancellationToken.None);

    [Fact]
    public async Task ValidateAsync_CleanBatch_MovesFilesOnAndIsValid()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal(BatchOutcome.Valid, result.Outcome);
        Assert.Equal(0, result.ExitCode);
        Assert.Null(result.RejectionReason);
        Assert.Equal(
            [LakeLayout.ProductsKey, "validated/order_items/2024-01-15/part-0000.csv", "validated/orders/2024-01-15/part-0000.csv", "validated/products/products.csv"],
            _lake.DataKeys());
        Assert.Equal(CsvText.Orders(1, 20), _lake.Read("validated/orders/2024-01-15/part-0000.csv"));
        Assert.Equal(CsvText.Items(1, 40), _lake.Read("validated/order_items/2024-01-15/part-0000.csv"));
        var items = result.Files.Single(f => f.Dataset == Dataset.OrderItems);
        Assert.Equal((FileDisposition.Validated, 40L, 40L, 0L), (items.Disposition, items.RowsRead, items.Accepted, items.Rejected));
        Assert.Equal("validated/order_items/2024-01-15/part-0000.csv", items.Destination);
    }

    [Fact]
    public async Task ValidateAsync_Products_ValidatedInPlaceAndCopiedToValidated()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();

        var result = await ValidateAsync(manifest);

        var products = result.Files[0];
        Assert.Equal((Dataset.Products, FileDisposition.Validated, 5L), (products.Dataset, products.Disposition, products.Accepted));
        Assert.True(_lake.Exists(LakeLayout.ProductsKey));
        Assert.Equal(CsvText.Products(1, 5), _lake.Read("validated/products/products.csv"));
    }

    [Fact]
    public async Task ValidateAsync_SomeBadRows_GoodRowsGoOnAndRejectsNameLineColumnRuleAndValue()
    {
        var rows = Enumerable.Range(1, 40).Select(i => i == 7 ? CsvText.Item(7, price: "-3.00") : CsvText.Item(i));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, rows)).WriteManifest();

        var result = await ValidateAsync(manifest);

        var items = result.Files.Single(f => f.Dataset == Dataset.OrderItems);
        Assert.Equal((FileDisposition.Validated, 39L, 1L), (items.Disposition, items.Accepted, items.Rejected));
        Assert.Equal(new Dictionary<string, long> { ["negative_amount"] = 1 }, items.RejectedByRule);
        Assert.Equal(39, (await _lake.DataRecordsAsync("validated/order_items/2024-01-15/part-0000.csv")).Count);
        var reject = Assert.Single(await _lake.RejectsAsync("invalid/order_items/2024-01-15/part-0000.rejects.csv"));
        Assert.Equal(new RejectRow(8, "sale_price", "negative_amount", "zero or more", "-3.00", CsvText.Item(7, price: "-3.00")), reject);
        Assert.Equal("invalid/order_items/2024-01-15/part-0000.rejects.csv", items.RejectsKey);
        var example = Assert.Single(items.Examples);
        Assert.Equal((8L, "sale_price"), (example.Line, example.Column));
    }

    [Fact]
    public async Task ValidateAsync_RejectedFractionAboveThreshold_QuarantinesWholeFileWithErrors()
    {
        var rows = Enumerable.Range(1, 40).Select(i => i <= 3 ? CsvText.Item(i, price: "n/a") : CsvText.Item(i));
        var original = CsvText.Lines(CsvText.ItemsHeader, rows);
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), original).Put(TestLake.ItemsKey("part-0001.csv"), CsvText.Lines(CsvText.ItemsHeader, [CsvText.Item(41, order: 1)])).WriteManifest();

        var result = await ValidateAsync(manifest);

        var items = result.Files.First(f => f.Key == TestLake.ItemsKey());
        Assert.Equal(FileDisposition.Quarantined, items.Disposition);
        Assert.Equal("rejected_fraction_exceeded", items.FileError!.Rule.Id);
        Assert.Equal("3 of 40 rows (7.5%)", items.FileError.Found);
        Assert.Equal(0, items.Accepted);
        Assert.Equal(original, _lake.Read("invalid/order_items/2024-01-15/part-0000.csv"));
        Assert.False(_lake.Exists(TestLake.ItemsKey()));
        Assert.False(_lake.Exists("validated/order_items/2024-01-15/part-0000.csv"));
        Assert.Equal(3, (await _lake.RejectsAsync("invalid/order_items/2024-01-15/part-0000.rejects.csv")).Count);
        using var errors = JsonDocument.Parse(_lake.Read("invalid/order_items/2024-01-15/part-0000.errors.json"));
        Assert.Equal("rejected_fraction_exceeded", errors.RootElement.GetProperty("rule").GetString());
        Assert.Equal(40, errors.RootElement.GetProperty("rows_read").GetInt64());
        Assert.Equal(BatchOutcome.Valid, result.Outcome);
    }

    [Fact]
    public async Task ValidateAsync_ThresholdIsConfigurable_SameFileAcceptedWithHigherFraction()
    {
        var rows = Enumerable.Range(1, 40).Select(i => i <= 3 ? CsvText.Item(i, price: "n/a") : CsvText.Item(i));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, rows)).WriteManifest();

        var result = await ValidateAsync(manifest, new ValidationOptions { MaxRejectedFraction = 0.1 });

        Assert.Equal(FileDisposition.Validated, result.Files.Single(f => f.Dataset == Dataset.OrderItems).Disposition);
    }

    [Fact]
    public async Task ValidateAsync_ProductsUnusable_BatchRejectedAndOtherFilesLeftInRaw()
    {
        var manifest = _lake.WithStandardBatch().Put(LakeLayout.ProductsKey, "id,sku\n1,a\n").WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal(BatchOutcome.Rejected, result.Outcome);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("products are unusable (missing_required_columns)", result.RejectionReason);
        Assert.True(_lake.Exists(TestLake.OrdersKey()));
        Assert.True(_lake.Exists(TestLake.ItemsKey()));
        Assert.All(result.Files.Skip(1), f => Assert.Equal(FileDisposition.NotValidated, f.Disposition));
        Assert.True(_lake.Exists("invalid/products/products.errors.json"));
        Assert.True(_lake.Exists(LakeLayout.ProductsKey));
    }

    [Fact]
    public async Task ValidateAsync_ProductsMissing_BatchRejected()
    {
        var manifest = _lake.Put(TestLake.OrdersKey(), CsvText.Orders(1, 2)).Put(TestLake.ItemsKey(), CsvText.Items(1, 2)).WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal(BatchOutcome.Rejected, result.Outcome);
        Assert.Equal(FileDisposition.Missing, result.Files[0].Disposition);
        Assert.Equal("file_missing", result.Files[0].FileError!.Rule.Id);
    }

    [Fact]
    public async Task ValidateAsync_NoOrderItemsFileSurvives_BatchRejected()
    {
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), "order_id;product_id;sale_price\n1;1;2.00\n").WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal(BatchOutcome.Rejected, result.Outcome);
        Assert.Equal("no order_items file survived validation", result.RejectionReason);
        Assert.True(_lake.Exists("validated/orders/2024-01-15/part-0000.csv"));
        Assert.True(_lake.Exists("invalid/order_items/2024-01-15/part-0000.csv"));
    }

    [Fact]
    public async Task ValidateAsync_NoOrdersFileSurvives_BatchRejectedAndItemsAreOrphans()
    {
        var manifest = _lake.WithStandardBatch().Put(TestLake.OrdersKey(), "").WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal(BatchOutcome.Rejected, result.Outcome);
        Assert.Equal("no orders file survived validation", result.RejectionReason);
        var items = result.Files.Single(f => f.Dataset == Dataset.OrderItems);
        Assert.Equal(FileDisposition.Quarantined, items.Disposition);
        Assert.Equal(40, items.RejectedByRule["unknown_order"]);
    }

    [Fact]
    public async Task ValidateAsync_SameManifestTwice_SecondRunChangesNothing()
    {
        var rows = Enumerable.Range(1, 40).Select(i => i == 5 ? CsvText.Item(5, product: 99) : CsvText.Item(i));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, rows)).WriteManifest();
        var first = await ValidateAsync(manifest);
        var keysAfterFirst = _lake.DataKeys();
        var itemsAfterFirst = _lake.Read("validated/order_items/2024-01-15/part-0000.csv");

        var second = await ValidateAsync(manifest);

        Assert.Equal(first.Outcome, second.Outcome);
        Assert.Equal(keysAfterFirst, _lake.DataKeys());
        Assert.Equal(itemsAfterFirst, _lake.Read("validated/order_items/2024-01-15/part-0000.csv"));
        Assert.Equal(
            [FileDisposition.Validated, FileDisposition.AlreadyValidated, FileDisposition.AlreadyValidated],
            second.Files.Select(f => f.Disposition));
        Assert.Equal(39, second.Files[2].Accepted);
    }

    [Fact]
    public async Task ValidateAsync_LaterVersion_EarlierFilesCountForReferencesAndDuplicates()
    {
        _lake.WithStandardBatch();
        await ValidateAsync(_lake.WriteManifest(version: 1));
        // Version 2 adds a part whose items belong to orders of part 0 (validated by v1); item 3 is re-sent as is, item 4 changed.
        var part1 = CsvText.Lines(CsvText.ItemsHeader, [CsvText.Item(41, order: 1), CsvText.Item(3), CsvText.Item(4, price: "1.00"), CsvText.Item(42, order: 20)]);
        _lake.Put(TestLake.ItemsKey("part-0001.csv"), part1);
        var manifest = _lake.WriteManifest(version: 2, orders: [TestLake.OrdersKey()], items: [TestLake.ItemsKey(), TestLake.ItemsKey("part-0001.csv")]);

        var result = await ValidateAsync(manifest, new ValidationOptions { MaxRejectedFraction = 0.5 });

        var part = result.Files.Single(f => f.Key == TestLake.ItemsKey("part-0001.csv"));
        Assert.Equal((FileDisposition.Validated, 2L), (part.Disposition, part.Accepted));
        Assert.Equal(new Dictionary<string, long> { ["duplicate_identical"] = 1, ["duplicate_key_conflict"] = 1 }, part.RejectedByRule);
        Assert.Equal("logs/validation/2024-01-15/v0002.json", result.ReportKey);
    }

    [Fact]
    public async Task ValidateAsync_OrdersAlreadyProcessed_StillCountForReferences()
    {
        _lake.WithStandardBatch().Put("processed/orders/2024-01-15/part-0000.csv", CsvText.Orders(1, 20));
        File.Delete(Path.Combine(_lake.Root, "raw/orders/2024-01-15/part-0000.csv"));
        var manifest = _lake.WriteManifest(orders: [TestLake.OrdersKey()]);

        var result = await ValidateAsync(manifest);

        Assert.Equal(FileDisposition.AlreadyProcessed, result.Files[1].Disposition);
        Assert.Equal(40, result.Files[2].Accepted);
        Assert.Equal(BatchOutcome.Valid, result.Outcome);
    }

    [Fact]
    public async Task ValidateAsync_OrdersFileQuarantined_ItsOrderIdsDoNotCount()
    {
        // Part 1's orders 21-22 would match the items, but the file breaks a file rule after its rows were read.
        var bad = CsvText.Orders(21, 22) + "23,u23,2024-01-15T10:00:00Z,Complete,\n24,\u0000,2024-01-15,Complete,\n";
        var manifest = _lake.WithStandardBatch()
            .Put(TestLake.OrdersKey("part-0001.csv"), bad)
            .Put(TestLake.ItemsKey("part-0001.csv"), CsvText.Lines(CsvText.ItemsHeader, [CsvText.Item(41, order: 21), CsvText.Item(42, order: 22)]))
            .WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal("not_utf8", result.Files.Single(f => f.Key == TestLake.OrdersKey("part-0001.csv")).FileError!.Rule.Id);
        var items = result.Files.Single(f => f.Key == TestLake.ItemsKey("part-0001.csv"));
        Assert.Equal(2, items.RejectedByRule["unknown_order"]);
    }

    [Fact]
    public async Task ValidateAsync_ItemOfRejectedOrder_IsUnknownOrder()
    {
        var orders = CsvText.Lines(CsvText.OrdersHeader, Enumerable.Range(1, 20).Select(o => o == 2 ? CsvText.Order(2, created: "garbage") : CsvText.Order(o)));
        var manifest = _lake.WithStandardBatch().Put(TestLake.OrdersKey(), orders).WriteManifest();

        var result = await ValidateAsync(manifest, new ValidationOptions { MaxRejectedFraction = 0.1 });

        var items = result.Files.Single(f => f.Dataset == Dataset.OrderItems);
        Assert.Equal(new Dictionary<string, long> { ["unknown_order"] = 2 }, items.RejectedByRule);
        Assert.Equal([4L, 5L], (await _lake.RejectsAsync(items.RejectsKey!)).Select(r => r.Line));
    }

    [Fact]
    public async Task ValidateAsync_DuplicateKeysAcrossFilesOfOneRun_FirstOccurrenceWins()
    {
        var manifest = _lake.WithStandardBatch()
            .Put(TestLake.OrdersKey("part-0001.csv"), CsvText.Lines(CsvText.OrdersHeader, [CsvText.Order(1), CsvText.Order(2, user: "other"), CsvText.Order(21)]))
            .WriteManifest();

        // Two of three rows are rejected, the identical repeat included: a threshold above that keeps the file.
        var result = await ValidateAsync(manifest, new ValidationOptions { MaxRejectedFraction = 0.7 });

        var part = result.Files.Single(f => f.Key == TestLake.OrdersKey("part-0001.csv"));
        Assert.Equal(new Dictionary<string, long> { ["duplicate_identical"] = 1, ["duplicate_key_conflict"] = 1 }, part.RejectedByRule);
        var rejects = await _lake.RejectsAsync(part.RejectsKey!);
        Assert.Equal([("duplicate_identical", "order_id", "1"), ("duplicate_key_conflict", "order_id", "2")], rejects.Select(r => (r.Rule, r.Column, r.Found)));
    }

    [Fact]
    public async Task ValidateAsync_CrashAfterGoodRowsWrittenBeforeRawDeleted_RerunGivesSameResult()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();
        _lake.Put("validated/order_items/2024-01-15/part-0000.csv", CsvText.Items(1, 3));

        var result = await ValidateAsync(manifest);

        Assert.Equal(FileDisposition.Validated, result.Files[2].Disposition);
        Assert.Equal(CsvText.Items(1, 40), _lake.Read("validated/order_items/2024-01-15/part-0000.csv"));
        Assert.False(_lake.Exists(TestLake.ItemsKey()));
    }

    [Fact]
    public async Task ValidateAsync_FileListedButNowhere_ReportedMissing()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest(items: [TestLake.ItemsKey(), TestLake.ItemsKey("part-9999.csv")]);

        var result = await ValidateAsync(manifest);

        var missing = result.Files.Single(f => f.Key == TestLake.ItemsKey("part-9999.csv"));
        Assert.Equal(FileDisposition.Missing, missing.Disposition);
        Assert.Equal(BatchOutcome.Valid, result.Outcome);
    }

    [Fact]
    public async Task ValidateAsync_FileLargerThanLimit_QuarantinedUnread()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();

        var result = await ValidateAsync(manifest, new ValidationOptions { MaxFileBytes = 500 });

        var items = result.Files.Single(f => f.Dataset == Dataset.OrderItems);
        Assert.Equal("file_too_large", items.FileError!.Rule.Id);
        Assert.Equal((0L, "at most 500 bytes"), (items.RowsRead, items.FileError.Expected));
    }

    [Fact]
    public async Task ValidateAsync_TimestampsJudgedAgainstInjectedClock()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();
        var clock = new FakeTimeProvider(new DateTimeOffset(2024, 1, 14, 9, 0, 0, TimeSpan.Zero));

        var result = await CreateSut(new ValidationOptions { MaxRejectedFraction = 1 }, clock).ValidateAsync(manifest, CancellationToken.None);

        var orders = result.Files.Single(f => f.Dataset == Dataset.Orders);
        Assert.Equal(20, orders.RejectedByRule["timestamp_in_future"]);
        Assert.Equal("not after 2024-01-15T09:00:00Z", orders.Examples[0].Expected);
    }

    [Fact]
    public async Task ValidateAsync_ManifestListsAKeyOfAnotherDataset_ThrowsInvalidData()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest(items: [TestLake.OrdersKey()]);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ValidateAsync(manifest));

        Assert.Contains("raw/orders/2024-01-15/part-0000.csv", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_Always_WritesJsonReportAndTextSummaryBesideIt()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal(("logs/validation/2024-01-15/v0001.json", "logs/validation/2024-01-15/v0001.txt"), (result.ReportKey, result.SummaryKey));
        Assert.Equal(result.Summary, _lake.Read(result.SummaryKey));
        Assert.StartsWith("Batch 2024-01-15 v1: VALID", result.Summary, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(_lake.Read(result.ReportKey));
        Assert.Equal("valid", report.RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task ToJson_Result_UsesSnakeCaseNamesAndValues()
    {
        var rows = Enumerable.Range(1, 40).Select(i => i == 1 ? CsvText.Item(1, quantity: "0") : CsvText.Item(i));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, rows)).WriteManifest();
        var result = await ValidateAsync(manifest);

        using var json = JsonDocument.Parse(result.ToJson());

        var root = json.RootElement;
        Assert.Equal("2024-01-15", root.GetProperty("batch_id").GetString());
        var items = root.GetProperty("files")[2];
        Assert.Equal("order_items", items.GetProperty("dataset").GetString());
        Assert.Equal("validated", items.GetProperty("disposition").GetString());
        Assert.Equal(1, items.GetProperty("rejected_by_rule").GetProperty("invalid_quantity").GetInt64());
        Assert.Equal("invalid_quantity", items.GetProperty("examples")[0].GetProperty("rule").GetString());
        Assert.False(root.TryGetProperty("exit_code", out _));
    }

    [Fact]
    public async Task ReadJsonAsync_AWrittenReport_ReadsBackToTheSameReport()
    {
        var rows = Enumerable.Range(1, 40).Select(i => i == 3 ? CsvText.Item(3, price: "abc") : CsvText.Item(i));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, rows)).WriteManifest();
        var written = (await ValidateAsync(manifest)).ToJson();

        using var stream = new MemoryStream(written);
        var read = await BatchValidationResult.ReadJsonAsync(stream, CancellationToken.None);

        Assert.Equal(1, read.Files[2].RejectedByRule["not_a_number"]);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(written), System.Text.Encoding.UTF8.GetString(read.ToJson()));
    }

    [Fact]
    public async Task ReadJsonAsync_NotAReport_SaysSo()
    {
        using var stream = new MemoryStream("""{ "batch_id": 7 }"""u8.ToArray());

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => BatchValidationResult.ReadJsonAsync(stream, CancellationToken.None));

        Assert.StartsWith("not a validation report: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_ProductsRejectsThenFixed_StaleRejectsRemoved()
    {
        var products = CsvText.Lines(CsvText.ProductsHeader, Enumerable.Range(1, 30).Select(p => p == 30 ? CsvText.Product(30, cost: "-1") : CsvText.Product(p)));
        _lake.WithStandardBatch().Put(LakeLayout.ProductsKey, products);
        await ValidateAsync(_lake.WriteManifest());
        Assert.True(_lake.Exists("invalid/products/products.rejects.csv"));
        _lake.Put(LakeLayout.ProductsKey, CsvText.Products(1, 30)).Put(TestLake.OrdersKey("part-0001.csv"), CsvText.Orders(21, 22)).Put(TestLake.ItemsKey("part-0001.csv"), CsvText.Items(41, 44));

        var result = await ValidateAsync(_lake.WriteManifest(version: 2, orders: [TestLake.OrdersKey(), TestLake.OrdersKey("part-0001.csv")], items: [TestLake.ItemsKey(), TestLake.ItemsKey("part-0001.csv")]));

        Assert.Equal(30, result.Files[0].Accepted);
        Assert.False(_lake.Exists("invalid/products/products.rejects.csv"));
    }

    [Fact]
    public async Task ValidateAsync_RejectedRowWithQuotesAndNewline_RejectsFileKeepsItExactly()
    {
        const string Bad = "7,4,2,\"12,5\",1,\"said \"\"hi\"\"\nsecond line\"";
        var rows = Enumerable.Range(1, 40).Select(i => i == 7 ? Bad : CsvText.Item(i));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, rows)).WriteManifest();

        var result = await ValidateAsync(manifest);

        var reject = Assert.Single(await _lake.RejectsAsync(result.Files[2].RejectsKey!));
        Assert.Equal((8L, "not_a_number", "12,5", Bad), (reject.Line, reject.Rule, reject.Found, reject.Record));
        Assert.Equal(39, (await _lake.DataRecordsAsync("validated/order_items/2024-01-15/part-0000.csv")).Count);
    }

    [Fact]
    public async Task ValidateAsync_CleanFile_MovedByteForByte()
    {
        var original = "\uFEFF" + CsvText.Items(1, 40).Replace("\n", "\r\n", StringComparison.Ordinal);
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), original).WriteManifest();

        await ValidateAsync(manifest);

        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(original), _lake.ReadBytes("validated/order_items/2024-01-15/part-0000.csv"));
    }

    [Fact]
    public async Task ValidateAsync_RejectAfterCleanPrefix_PrefixCopiedWithoutBomThenGoodRows()
    {
        var rows = Enumerable.Range(1, 40).Select(i => i == 30 ? CsvText.Item(30, quantity: "99999999999") : CsvText.Item(i));
        var original = "\uFEFF" + CsvText.Lines(CsvText.ItemsHeader, rows).Replace("\n", "\r\n", StringComparison.Ordinal);
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), original).WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal(new Dictionary<string, long> { ["quantity_out_of_range"] = 1 }, result.Files[2].RejectedByRule);
        var expected = CsvText.Lines(CsvText.ItemsHeader, Enumerable.Range(1, 29).Select(i => CsvText.Item(i))).Replace("\n", "\r\n", StringComparison.Ordinal)
            + string.Concat(Enumerable.Range(31, 10).Select(i => CsvText.Item(i) + "\n"));
        Assert.Equal(expected, _lake.Read("validated/order_items/2024-01-15/part-0000.csv"));
    }

    [Fact]
    public async Task ValidateAsync_LeadingBlankLines_RewrittenSoTheHeaderComesFirst()
    {
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), "\n\n" + CsvText.Items(1, 40)).WriteManifest();

        var result = await ValidateAsync(manifest);

        Assert.Equal(2, result.Files[2].BlankLines);
        Assert.Equal(CsvText.Items(1, 40), _lake.Read("validated/order_items/2024-01-15/part-0000.csv"));
    }
}
