using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Tests.Builders;
using Microsoft.Extensions.Time.Testing;

namespace KpiPipeline.Validator.Tests.Validation;

/// <summary>
/// Keys are judged by their path segments, not by what they contain (issue 11, point 4): a part file named
/// <c>v1..2.csv</c> is validated like any other, a manifest key with a <c>..</c> segment is a specific data error.
/// </summary>
public sealed class KeyNameTests : IDisposable
{
    private readonly TestLake _lake = new();
    private readonly StringWriter _stdout = new();
    private readonly StringWriter _stderr = new();

    public void Dispose()
    {
        _lake.Dispose();
        _stdout.Dispose();
        _stderr.Dispose();
    }

    [Fact]
    public async Task ValidateAsync_PartFileWithDotsInItsName_ValidatedAndMovedLikeAnyOther()
    {
        var manifest = _lake.Put(LakeLayout.ProductsKey, CsvText.Products(1, 5))
            .Put(TestLake.OrdersKey("v1..2.csv"), CsvText.Orders(1, 20))
            .Put(TestLake.ItemsKey("v1..2.csv"), CsvText.Items(1, 40))
            .WriteManifest();

        var result = await _lake.ValidateAsync(manifest);

        Assert.Equal(BatchOutcome.Valid, result.Outcome);
        Assert.Equal(CsvText.Items(1, 40), _lake.Read("validated/order_items/2024-01-15/v1..2.csv"));
        Assert.Equal(40, result.Files.Single(f => f.Dataset == Dataset.OrderItems).Accepted);
    }

    [Theory]
    [InlineData("raw/orders/2024-01-15/..", "it has '..' as a path segment")]
    [InlineData("raw/orders/2024-01-15/../../../etc/passwd", "it has '..' as a path segment")]
    [InlineData("/raw/orders/2024-01-15/part-0000.csv", "it is an absolute path")]
    [InlineData("raw/orders/2024-01-15//part-0000.csv", "it has an empty path segment ('//')")]
    public async Task ValidateAsync_ManifestKeyThatIsNoKeyInsideTheLake_SpecificDataError(string key, string problem)
    {
        var manifest = _lake.WithStandardBatch().WriteManifest(orders: [TestLake.OrdersKey(), key]);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => _lake.ValidateAsync(manifest));

        Assert.Equal($"{manifest}: '{key}' is not a key inside the lake: {problem}.", error.Message);
        Assert.True(_lake.Exists(TestLake.OrdersKey()));
    }

    [Fact]
    public async Task RunAsync_ManifestKeyWithDotDotSegment_OneLineDataErrorExitTwo()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest(orders: ["raw/orders/2024-01-15/.."]);

        var exit = await ValidatorApp.RunAsync(["--manifest", manifest, "--lake", _lake.Root], _stdout, _stderr, CancellationToken.None, new FakeTimeProvider(TestLake.Now));

        Assert.Equal(2, exit);
        Assert.Equal($"validator: {manifest}: 'raw/orders/2024-01-15/..' is not a key inside the lake: it has '..' as a path segment.\n",
            _stderr.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_ManifestArgumentOutsideTheLake_OneLineDataErrorExitTwo()
    {
        var exit = await ValidatorApp.RunAsync(["--manifest", "../batches/2024-01-15/v0001.json", "--lake", _lake.Root], _stdout, _stderr, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Equal("validator: '../batches/2024-01-15/v0001.json' is not a key inside the lake: it has '..' as a path segment.\n",
            _stderr.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }
}
