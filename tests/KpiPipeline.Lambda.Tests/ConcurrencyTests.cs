using KpiPipeline.Lambda.Tests.Infrastructure;
using KpiPipeline.Testing;
using Xunit.Abstractions;

namespace KpiPipeline.Lambda.Tests;

/// <summary>
/// S3's delivery as it is: 200 events for 5 batches, re-delivered, in random order and all at once,
/// with the products master data last. Each test counts the executions that a loopback Step Functions
/// saw started through the real signed client.
/// </summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed class ConcurrencyTests(EmulatorFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Events = 200;
    private const int ProductsEvents = 10;
    private const int PartsPerKind = 3;
    private const int Seed = 20240101;
    private static readonly string[] Batches = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"];

    private FakeStepFunctions _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeStepFunctions.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task HandleAsync_200ConcurrentEventsProductsAfterTheRest_ExactlyOneStartPerBatch()
    {
        await using var sut = await CreateSut();
        var (daily, products) = Deliveries();

        await Task.WhenAll(daily.Select(key => Task.Run(() => sut.HandleAsync(key))));
        Assert.Empty(_fake.Executions);
        await Task.WhenAll(products.Select(key => Task.Run(() => sut.HandleAsync(key))));

        Assert.Empty(_fake.Problems);
        Assert.Equal(Batches.Select(b => $"{b}-v1"), _fake.Executions.Keys.Order(StringComparer.Ordinal));
        foreach (var batch in Batches)
        {
            var manifest = await sut.ManifestAsync(batch, 1);
            Assert.Equal(PartsPerKind, manifest.OrdersKeys.Count);
            Assert.Equal(PartsPerKind, manifest.OrderItemsKeys.Count);
            var state = await sut.BatchAsync(batch);
            Assert.Equal((1, 1, PartsPerKind * 2L, PartsPerKind * 2L), (state.Version, state.StartedVersion, state.Revision, state.ClaimedRevision));
        }
    }

    [Fact]
    public async Task HandleAsync_200EventsAllAtOnceProductsLastInLine_EachVersionStartedOnceAndTheLastHasEveryFile()
    {
        await using var sut = await CreateSut();
        var (daily, products) = Deliveries();

        // No barrier: products may land while daily files still arrive, so a batch may run more than
        // once; every version it claims must start exactly once and the last must hold the whole day.
        await Task.WhenAll(daily.Concat(products).Select(key => Task.Run(() => sut.HandleAsync(key))));

        Assert.Empty(_fake.Problems);
        output.WriteLine($"{_fake.Requests} StartExecution requests, {_fake.Executions.Count} executions");
        foreach (var batch in Batches)
        {
            var state = await sut.BatchAsync(batch);
            Assert.True(state.Version >= 1, $"{batch} never ran");
            Assert.Equal(Enumerable.Range(1, state.Version).Select(v => $"{batch}-v{v}"),
                _fake.Executions.Keys.Where(k => k.StartsWith(batch + "-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).OrderBy(k => k.Length));
            Assert.Equal((state.Version, state.Revision), (state.StartedVersion, state.ClaimedRevision));
            output.WriteLine($"{batch}: {state.Version} version(s), {state.Revision} files");
            var last = await sut.ManifestAsync(batch, state.Version);
            Assert.Equal((PartsPerKind, PartsPerKind), (last.OrdersKeys.Count, last.OrderItemsKeys.Count));
        }
    }

    [Fact]
    public async Task HandleAsync_CrashBetweenClaimAndStartThenConcurrentRetries_ExactlyOneStart()
    {
        await using var sut = await LambdaSut.CreateAsync(fixture, _ => new CrashingStarter(SignedStarters.For(_fake)));
        await sut.HandleAsync(Keys.Products, Keys.Orders(Batches[0]));
        await Assert.ThrowsAsync<InjectedCrashException>(() => sut.HandleAsync(Keys.OrderItems(Batches[0])));
        Assert.Equal(0, _fake.Requests);
        sut.Clock.Advance(TimeSpan.FromMinutes(1) + sut.Settings.InvocationBudget);

        // Lambda's retry, S3's duplicate deliveries and the products file again, all at once.
        var retries = Enumerable.Repeat(Keys.OrderItems(Batches[0]), 10).Concat(Enumerable.Repeat(Keys.Orders(Batches[0]), 5)).Append(Keys.Products);
        await Task.WhenAll(retries.Select(key => Task.Run(() => sut.HandleAsync(key))));

        Assert.Empty(_fake.Problems);
        Assert.Equal([$"{Batches[0]}-v1"], _fake.Executions.Keys);
        var state = await sut.BatchAsync(Batches[0]);
        Assert.Equal((1, 1), (state.Version, state.StartedVersion));
    }

    /// <summary>Every file of every batch at least once, duplicates to make up 200 events, shuffled; products last.</summary>
    private static (List<string> Daily, List<string> Products) Deliveries()
    {
        var random = new Random(Seed);
        var files = Batches.SelectMany(b => Enumerable.Range(0, PartsPerKind).SelectMany(p => new[] { Keys.Orders(b, p), Keys.OrderItems(b, p) })).ToList();
        var daily = files.Concat(Enumerable.Range(0, Events - ProductsEvents - files.Count).Select(_ => files[random.Next(files.Count)])).ToArray();
        random.Shuffle(daily);
        return (daily.ToList(), Enumerable.Repeat(Keys.Products, ProductsEvents).ToList());
    }

    private Task<LambdaSut> CreateSut() => LambdaSut.CreateAsync(fixture, _ => SignedStarters.For(_fake));
}
