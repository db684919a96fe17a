using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Tests.Builders;

namespace KpiPipeline.Validator.Tests.Validation;

/// <summary>
/// Prices, costs and quantities are bounded so that no accepted row can overflow a KPI (issue 11, point 3):
/// each value just inside a bound is accepted, each just outside is rejected naming line, column, rule, expected and found.
/// </summary>
public sealed class ValueBoundsTests : IDisposable
{
    private readonly TestLake _lake = new();

    public void Dispose() => _lake.Dispose();

    [Theory]
    [InlineData("999999999999.999999", "1")]
    [InlineData("0", "1")]
    [InlineData("19.990000000", "1")]
    [InlineData("0.000001", "1000000")]
    public async Task ValidateAsync_ValuesAtTheBounds_Accepted(string price, string quantity)
    {
        var manifest = WithItem(CsvText.Item(7, price: price, quantity: quantity));

        var result = await _lake.ValidateAsync(manifest);

        var items = result.Files.Single(f => f.Dataset == Dataset.OrderItems);
        Assert.Equal((FileDisposition.Validated, 40L, 0L), (items.Disposition, items.Accepted, items.Rejected));
    }

    [Theory]
    [InlineData("1000000000000", "1", "sale_price", "amount_out_of_range", "less than 1000000000000")]
    [InlineData("1000000000000000000000", "1", "sale_price", "amount_out_of_range", "less than 1000000000000")]
    [InlineData("9000000000000000000000000000", "1", "sale_price", "amount_out_of_range", "less than 1000000000000")]
    [InlineData("19.9900001", "1", "sale_price", "too_many_decimal_places", "at most 6 decimal places")]
    [InlineData("9e27", "1", "sale_price", "not_a_number", "a plain decimal number such as 12.50")]
    [InlineData("19.99", "1000001", "quantity", "quantity_out_of_range", "a whole number from 1 to 1000000")]
    [InlineData("19.99", "1000000000", "quantity", "quantity_out_of_range", "a whole number from 1 to 1000000")]
    [InlineData("19.99", "0", "quantity", "invalid_quantity", "a whole number from 1 to 1000000")]
    public async Task ValidateAsync_ValueOutsideTheBounds_RowRejectedWithLineColumnRuleExpectedAndFound(
        string price, string quantity, string column, string rule, string expected)
    {
        var row = CsvText.Item(7, price: price, quantity: quantity);
        var manifest = WithItem(row);

        var result = await _lake.ValidateAsync(manifest);

        var items = result.Files.Single(f => f.Dataset == Dataset.OrderItems);
        Assert.Equal((FileDisposition.Validated, 39L, 1L), (items.Disposition, items.Accepted, items.Rejected));
        var reject = Assert.Single(await _lake.RejectsAsync(items.RejectsKey!));
        Assert.Equal(new RejectRow(8, column, rule, expected, column == "quantity" ? quantity : price, row), reject);
        Assert.DoesNotContain(await _lake.DataRecordsAsync("validated/order_items/2024-01-15/part-0000.csv"), r => r == row);
    }

    [Theory]
    [InlineData("1000000000000", "9.99", "cost", "amount_out_of_range")]
    [InlineData("3.50", "12.1234567", "retail_price", "too_many_decimal_places")]
    public async Task ValidateAsync_ProductAmountOutsideTheBounds_ProductRejected(string cost, string price, string column, string rule)
    {
        var products = CsvText.Lines(CsvText.ProductsHeader, Enumerable.Range(1, 5).Select(p => CsvText.Product(p))
            .Concat(Enumerable.Range(6, 20).Select(p => p == 6 ? CsvText.Product(6, cost, price) : CsvText.Product(p))));
        var manifest = _lake.WithStandardBatch().Put(LakeLayout.ProductsKey, products).WriteManifest();

        var result = await _lake.ValidateAsync(manifest);

        var reject = Assert.Single(await _lake.RejectsAsync(result.Files[0].RejectsKey!));
        Assert.Equal((7L, column, rule), (reject.Line, reject.Column, reject.Rule));
    }

    [Fact]
    public async Task ValidateAsync_TheIssuesOverflowRows_NoneAccepted()
    {
        // Issue 11, D2: a price of 10^21 times a quantity of 10^9, and twenty rows of 9·10^27 (whose sum exceeds decimal).
        var overflow = CsvText.Item(7, price: "1000000000000000000000", quantity: "1000000000");
        var huge = Enumerable.Range(41, 20).Select(i => CsvText.Item(i, order: 20, price: "9000000000000000000000000000"));
        var manifest = _lake.WithStandardBatch()
            .Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, Enumerable.Range(1, 40).Select(i => i == 7 ? overflow : CsvText.Item(i))))
            .Put(TestLake.ItemsKey("part-0001.csv"), CsvText.Lines(CsvText.ItemsHeader, huge))
            .WriteManifest();

        var result = await _lake.ValidateAsync(manifest);

        Assert.Equal(BatchOutcome.Valid, result.Outcome);
        var first = result.Files.Single(f => f.Key == TestLake.ItemsKey());
        Assert.Equal(new Dictionary<string, long> { ["amount_out_of_range"] = 1 }, first.RejectedByRule);
        var second = result.Files.Single(f => f.Key == TestLake.ItemsKey("part-0001.csv"));
        Assert.Equal((FileDisposition.Quarantined, "rejected_fraction_exceeded"), (second.Disposition, second.FileError!.Rule.Id));
        Assert.Equal(new Dictionary<string, long> { ["amount_out_of_range"] = 20 }, second.RejectedByRule);
        var accepted = await _lake.DataRecordsAsync("validated/order_items/2024-01-15/part-0000.csv");
        Assert.Equal(39, accepted.Count);
        Assert.All(accepted, row => Assert.DoesNotContain("00000000000", row, StringComparison.Ordinal));
    }

    private string WithItem(string row) => _lake.WithStandardBatch()
        .Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, Enumerable.Range(1, 40).Select(i => i == 7 ? row : CsvText.Item(i))))
        .WriteManifest();
}
