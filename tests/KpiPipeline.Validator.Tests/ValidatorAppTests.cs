using System.Text.Json;
using KpiPipeline.Lake;
using KpiPipeline.Validator.Tests.Builders;
using Microsoft.Extensions.Time.Testing;

namespace KpiPipeline.Validator.Tests;

/// <summary>The container contract: arguments, exit codes (0 valid, 2 rejected or bad arguments, 1 infrastructure), JSON on stdout only.</summary>
public sealed class ValidatorAppTests : IDisposable
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

    [Theory]
    [InlineData(new string[0], "--manifest <key> is required")]
    [InlineData(new[] { "--manifest", "batches/2024-01-15/v0001.json" }, "give exactly one of --bucket <name> or --lake <folder>")]
    [InlineData(new[] { "--manifest", "m", "--bucket", "b", "--lake", "." }, "give exactly one of --bucket <name> or --lake <folder>")]
    [InlineData(new[] { "--manifest", "m", "--lake", "/no/such/folder" }, "lake folder '/no/such/folder' does not exist")]
    [InlineData(new[] { "--manifest" }, "option --manifest needs a value")]
    [InlineData(new[] { "--manifest", "m", "--bucket", "b", "--max-rejected-fraction", "1.5" }, "--max-rejected-fraction must be a number from 0 to 1, not '1.5'")]
    [InlineData(new[] { "--manifest", "m", "--bucket", "b", "--max-file-mb", "-3" }, "--max-file-mb must be a whole number of megabytes from 1, not '-3'")]
    [InlineData(new[] { "--manifest", "m", "--bucket", "b", "--max-file-mb", "lots" }, "--max-file-mb must be a whole number of megabytes from 1, not 'lots'")]
    [InlineData(new[] { "--manifest", "m", "--bucket", "b", "--colour", "red" }, "unknown option '--colour'")]
    [InlineData(new[] { "--manifest", "m", "--bucket", "b", "--max-rejects-rows", "lots" }, "--max-rejects-rows must be a whole number of rows, not 'lots'")]
    [InlineData(new[] { "--manifest", "m", "--bucket", "b", "--max-rejects-mb", "0" }, "--max-rejects-mb must be a whole number of megabytes from 1, not '0'")]
    [InlineData(new[] { "validate" }, "unexpected argument 'validate'")]
    [InlineData(new[] { "bench", "--items", "many" }, "--items must be a positive whole number, not 'many'")]
    [InlineData(new[] { "--lake" }, "option --lake needs a value")]
    [InlineData(new[] { "--manifest", "--lake", "." }, "option --manifest needs a value")]
    [InlineData(new[] { "--manifest", "m", "--bucket", "b", "--max-file-mb", "lots", "--colour" }, "unknown option '--colour'")]
    [InlineData(new[] { "--version" }, "unknown option '--version'")]
    [InlineData(new[] { "--manifest", "m", "--bucket", "b", "bench" }, "unexpected argument 'bench'")]
    [InlineData(new[] { "--manifest", "@args.txt" }, "give exactly one of --bucket <name> or --lake <folder>")]
    [InlineData(new[] { "bench", "--items" }, "option --items needs a value")]
    [InlineData(new[] { "bench", "--keep", "true" }, "unexpected bench argument 'true'")]
    [InlineData(new[] { "bench", "--rounds", "101" }, "--rounds must be a whole number from 1 to 100, not '101'")]
    public async Task RunAsync_BadArguments_OneLineErrorAndExitTwo(string[] args, string message)
    {
        var exit = await RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Equal($"validator: {message}\n", _stderr.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Empty(_stdout.ToString());
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("--manifest", "m", "--help")]
    [InlineData("bench", "-h")]
    public async Task RunAsync_Help_UsageOnStandardOutputAndExitZero(params string[] args)
    {
        var exit = await RunAsync(args);

        Assert.Equal(0, exit);
        Assert.Equal(CommandLine.Usage + "\n", _stdout.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Empty(_stderr.ToString());
    }

    [Fact]
    public void Parse_RepeatedOption_TakesTheLastValue()
    {
        var (command, error) = CommandLine.Parse(["--manifest", "a", "--bucket", "b", "--manifest", "c", "--max-file-mb", "2"]);

        Assert.Null(error);
        Assert.Equal(new ValidateCommand("c", "b", null, null, 2L * 1024 * 1024), command);
    }

    [Fact]
    public void Parse_BenchWithoutOptions_TakesTheDefaults()
    {
        var (command, error) = CommandLine.Parse(["bench"]);

        Assert.Null(error);
        Assert.Equal(new BenchCommand(1_000_000, 5, null, Keep: false), command);
    }

    [Fact]
    public async Task RunAsync_RejectsCapsFromArguments_ReachTheValidator()
    {
        var rows = Enumerable.Range(1, 40).Select(i => i <= 2 ? CsvText.Item(i, price: "n/a") : CsvText.Item(i));
        var manifest = _lake.WithStandardBatch().Put(TestLake.ItemsKey(), CsvText.Lines(CsvText.ItemsHeader, rows)).WriteManifest();

        var exit = await RunAsync(["--manifest", manifest, "--lake", _lake.Root, "--max-rejects-rows", "1", "--max-rejects-mb", "1"]);

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(_stdout.ToString());
        Assert.Equal(1, json.RootElement.GetProperty("files")[2].GetProperty("rejected_beyond_cap").GetInt64());
    }

    [Fact]
    public async Task RunAsync_ValidBatch_PrintsJsonResultAndExitsZero()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();

        var exit = await RunAsync(["--manifest", manifest, "--lake", _lake.Root]);

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(_stdout.ToString());
        Assert.Equal("valid", json.RootElement.GetProperty("outcome").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("files").GetArrayLength());
    }

    [Fact]
    public async Task RunAsync_RejectedBatch_PrintsJsonResultAndExitsTwo()
    {
        var manifest = _lake.WithStandardBatch().Put(LakeLayout.ProductsKey, "").WriteManifest();

        var exit = await RunAsync(["--manifest", manifest, "--lake", _lake.Root]);

        Assert.Equal(2, exit);
        using var json = JsonDocument.Parse(_stdout.ToString());
        Assert.Equal("rejected", json.RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task RunAsync_OptionsFromArguments_ReachTheValidator()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();

        var exit = await RunAsync(["--manifest", manifest, "--lake", _lake.Root, "--max-file-mb", "1", "--max-rejected-fraction", "0"]);

        Assert.Equal(0, exit);
        Assert.Contains("\"disposition\": \"validated\"", _stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ManifestMissing_OneLineErrorAndExitTwo()
    {
        var exit = await RunAsync(["--manifest", "batches/2024-01-15/v0009.json", "--lake", _lake.Root]);

        Assert.Equal(2, exit);
        Assert.StartsWith("validator: manifest ", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(_stderr.ToString().Trim().Split('\n'));
    }

    [Fact]
    public async Task RunAsync_ManifestNotJson_OneLineErrorAndExitTwo()
    {
        _lake.Put("batches/2024-01-15/v0001.json", "not json");

        var exit = await RunAsync(["--manifest", "batches/2024-01-15/v0001.json", "--lake", _lake.Root]);

        Assert.Equal(2, exit);
        Assert.Contains("not a batch manifest", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_StoreFailsMidway_ExitsOneForARetry()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();

        var exit = await ValidatorApp.RunAsync(["--manifest", manifest, "--bucket", "kpi-lake"], _stdout, _stderr, CancellationToken.None,
            new FakeTimeProvider(TestLake.Now), _ => new FailingStore(_lake.Store, failOn: TestLake.ItemsKey()));

        Assert.Equal(1, exit);
        Assert.Contains("validator: infrastructure failure: I/O failure: connection reset", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Empty(_stdout.ToString());
    }

    [Fact]
    public async Task RunAsync_Cancelled_ExitsOneSoTheRunIsRetried()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();

        var exit = await ValidatorApp.RunAsync(["--manifest", manifest, "--lake", _lake.Root], _stdout, _stderr, new CancellationToken(canceled: true), new FakeTimeProvider(TestLake.Now));

        Assert.Equal(1, exit);
        Assert.Equal("validator: cancelled", _stderr.ToString().Trim());
    }

    [Fact]
    public async Task RunAsync_BenchOnASmallBatch_PrintsThroughputAndPeakMemory()
    {
        var exit = await RunAsync(["bench", "--items", "300", "--rounds", "1", "--folder", Path.Combine(_lake.Root, "bench")]);

        Assert.Equal(0, exit);
        Assert.Matches(@"validation of 300 order items: median \d+ MB/s, best \d+ MB/s; frame checks median \d+\.\d{3} s; peak working set \d+ MiB", _stdout.ToString());
    }

    [Fact]
    public async Task RunAsync_BenchRejectEarly_RejectsTheFirstRowOfEveryPartAndStaysValid()
    {
        var folder = Path.Combine(_lake.Root, "bench");

        var exit = await RunAsync(["bench", "--items", "300", "--rounds", "1", "--reject-early", "--keep", "--folder", folder]);

        Assert.Equal(0, exit);
        var rejects = Directory.EnumerateFiles(Path.Combine(folder, "round-1", "invalid"), "*.rejects.csv", SearchOption.AllDirectories).ToList();
        Assert.Equal(8, rejects.Count);
        Assert.All(rejects, file => Assert.Equal(2, File.ReadAllLines(file).Length));
    }

    [Fact]
    public async Task RunAsync_ExpectationsFile_TightensABoundSoTheItemsFileIsQuarantined()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();
        var settings = Path.Combine(_lake.Root, "expectations.json");
        await File.WriteAllTextAsync(settings, """{ "expectations": { "order_items.items_per_order": { "reject_max": 1.5 } } }""");

        var exit = await RunAsync(["--lake", _lake.Root, "--manifest", manifest, "--expectations", settings]);

        Assert.Equal(2, exit);
        Assert.Contains("\"rule\": \"expectation_not_met\"", _stdout.ToString(), StringComparison.Ordinal);
        Assert.True(_lake.Exists(TestLake.In(Stage.Invalid, TestLake.ItemsKey())));
    }

    [Fact]
    public async Task RunAsync_ExpectationsFileWithAnUnknownId_ExitsTwoNamingItBeforeTouchingTheLake()
    {
        var manifest = _lake.WithStandardBatch().WriteManifest();
        var settings = Path.Combine(_lake.Root, "expectations.json");
        await File.WriteAllTextAsync(settings, """{ "expectations": { "orders.nope": { "warn_max": 1 } } }""");

        var exit = await RunAsync(["--lake", _lake.Root, "--manifest", manifest, "--expectations", settings]);

        Assert.Equal(2, exit);
        Assert.Contains("unknown expectation 'orders.nope'", _stderr.ToString(), StringComparison.Ordinal);
        Assert.True(_lake.Exists(TestLake.OrdersKey()));
    }

    private Task<int> RunAsync(string[] args) =>
        ValidatorApp.RunAsync(args, _stdout, _stderr, CancellationToken.None, new FakeTimeProvider(TestLake.Now));

    /// <summary>A store whose reads of one key fail like a dropped connection.</summary>
    private sealed class FailingStore(IObjectStore inner, string failOn) : IObjectStore
    {
        public string Describe(string key) => inner.Describe(key);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => inner.ExistsAsync(key, cancellationToken);

        public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) =>
            key == failOn ? throw new IOException("connection reset") : inner.OpenReadAsync(key, cancellationToken);

        public Task<IObjectWriter> CreateAsync(string key, CancellationToken cancellationToken) => inner.CreateAsync(key, cancellationToken);

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => inner.PutAsync(key, content, cancellationToken);

        public Task<bool> MoveAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken) => inner.MoveAsync(sourceKey, destinationKey, cancellationToken);

        public Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken) => inner.CopyAsync(sourceKey, destinationKey, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }
}
