using System.Text.Json.Nodes;
using KpiPipeline.Lambda.Events;
using KpiPipeline.Lambda.Tests.Infrastructure;
using KpiPipeline.Testing;
using Microsoft.Extensions.Time.Testing;

namespace KpiPipeline.Lambda.Tests.Locks;

[Collection(EmulatorFixture.CollectionName)]
public sealed class DateLockFunctionTests(EmulatorFixture fixture)
{
    private const string Batch = "2024-01-01";
    private static readonly DateTimeOffset Now = new(2024, 1, 2, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AcquireAsync_FreeDate_AcquiredUntilNowPlusLease()
    {
        var (sut, _) = await CreateSut();

        var result = await AcquireAsync(sut, "run-1", 900);

        Assert.Equal((true, Batch, "run-1", Now.ToUnixTimeSeconds() + 900), ((bool)result["acquired"]!, (string?)result["batch_id"], (string?)result["owner"], (long)result["expires_at"]!));
    }

    [Fact]
    public async Task AcquireAsync_HeldByAnotherOwner_NotAcquiredAndTellsTheHolder()
    {
        var (sut, _) = await CreateSut();
        await AcquireAsync(sut, "run-1", 900);

        var result = await AcquireAsync(sut, "run-2", 900);

        Assert.Equal((false, "run-2", "run-1", Now.ToUnixTimeSeconds() + 900), ((bool)result["acquired"]!, (string?)result["owner"], (string?)result["held_by"], (long)result["expires_at"]!));
    }

    [Fact]
    public async Task AcquireAsync_SameOwnerAgain_RenewsTheLease()
    {
        var (sut, clock) = await CreateSut();
        await AcquireAsync(sut, "run-1", 900);
        clock.Advance(TimeSpan.FromSeconds(600));

        var result = await AcquireAsync(sut, "run-1", 900);

        Assert.Equal((true, Now.ToUnixTimeSeconds() + 1500), ((bool)result["acquired"]!, (long)result["expires_at"]!));
    }

    [Fact]
    public async Task AcquireAsync_AtTheExpirySecond_StillHeld()
    {
        var (sut, clock) = await CreateSut();
        await AcquireAsync(sut, "run-1", 900);
        clock.Advance(TimeSpan.FromSeconds(900));

        Assert.False((bool)(await AcquireAsync(sut, "run-2", 900))["acquired"]!);
    }

    [Fact]
    public async Task AcquireAsync_AfterExpiry_TakenOverAndTheOldOwnerCannotRelease()
    {
        var (sut, clock) = await CreateSut();
        await AcquireAsync(sut, "run-1", 900);
        clock.Advance(TimeSpan.FromSeconds(901));

        var takeover = await AcquireAsync(sut, "run-2", 60);
        var staleRelease = await ReleaseAsync(sut, "run-1");

        Assert.True((bool)takeover["acquired"]!);
        Assert.False((bool)staleRelease["released"]!);
        Assert.False((bool)(await AcquireAsync(sut, "run-3", 60))["acquired"]!);
    }

    [Fact]
    public async Task ReleaseAsync_ByTheOwner_ReleasedAndFreeForTheNext()
    {
        var (sut, _) = await CreateSut();
        await AcquireAsync(sut, "run-1", 900);

        var release = await ReleaseAsync(sut, "run-1");

        Assert.Equal((true, Batch, "run-1"), ((bool)release["released"]!, (string?)release["batch_id"], (string?)release["owner"]));
        Assert.True((bool)(await AcquireAsync(sut, "run-2", 900))["acquired"]!);
    }

    [Fact]
    public async Task ReleaseAsync_ByAnotherOwner_LeaseKept()
    {
        var (sut, _) = await CreateSut();
        await AcquireAsync(sut, "run-1", 900);

        var release = await ReleaseAsync(sut, "run-2");

        Assert.False((bool)release["released"]!);
        Assert.False((bool)(await AcquireAsync(sut, "run-3", 900))["acquired"]!);
    }

    [Fact]
    public async Task AcquireAsync_OtherDates_Independent()
    {
        var (sut, _) = await CreateSut();
        await AcquireAsync(sut, "run-1", 900);

        var other = await Invoke(sut.AcquireAsync, """{"batch_id": "2024-01-02", "owner": "run-2", "lease_seconds": 900}""");

        Assert.True((bool)other["acquired"]!);
    }

    [Fact]
    public async Task AcquireAsync_TwentyOwnersAtOnce_ExactlyOneAcquires()
    {
        var (sut, _) = await CreateSut();

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => AcquireAsync(sut, $"run-{i}", 900))));

        Assert.Single(results, r => (bool)r["acquired"]!);
    }

    [Fact]
    public async Task AcquireAsync_CheckedInFixtures_AcquireThenRelease()
    {
        var (sut, _) = await CreateSut();

        var acquired = await Invoke(sut.AcquireAsync, File.ReadAllText(S3Events.FixturePath("lock-acquire.json")));
        var released = await Invoke(sut.ReleaseAsync, File.ReadAllText(S3Events.FixturePath("lock-release.json")));

        Assert.True((bool)acquired["acquired"]!);
        Assert.True((bool)released["released"]!);
    }

    [Theory]
    [InlineData("malformed/lock-without-owner.json", "owner is missing.")]
    [InlineData("malformed/lock-bad-date.json", "batch_id '01/02/2024' is not a batch date (YYYY-MM-DD).")]
    public async Task AcquireAsync_MalformedFixture_FailsNamingTheProblem(string fixtureName, string expected)
    {
        var (sut, _) = await CreateSut();

        var error = await Assert.ThrowsAsync<InvalidEventException>(() => sut.AcquireAsync(S3Events.Fixture(fixtureName)));

        Assert.Equal(expected, error.Message);
    }

    [Theory]
    [InlineData("""{"batch_id": "2024-01-01", "owner": "x"}""", "lease_seconds is missing.")]
    [InlineData("""{"batch_id": "2024-01-01", "owner": "x", "lease_seconds": 0}""", "lease_seconds must be between 1 and 86400, found 0.")]
    [InlineData("""{"batch_id": "2024-01-01", "owner": "x", "lease_seconds": 1.5}""", "lease_seconds must be an integer, found the number 1.5.")]
    [InlineData("""{"batch_id": 20240101, "owner": "x", "lease_seconds": 5}""", "batch_id must be a non-empty string, found the number 20240101.")]
    [InlineData("""{"batch_id": "2024-01-01", "owner": "", "lease_seconds": 5}""", "owner must be a non-empty string, found the string \"\".")]
    [InlineData("[1]", "The input must be a JSON object, found an array.")]
    public async Task AcquireAsync_MalformedInput_FailsNamingTheProblem(string json, string expected)
    {
        var (sut, _) = await CreateSut();

        var error = await Assert.ThrowsAsync<InvalidEventException>(() => Invoke(sut.AcquireAsync, json));

        Assert.Equal(expected, error.Message);
    }

    private static Task<JsonObject> AcquireAsync(DateLockFunction sut, string owner, int leaseSeconds) =>
        Invoke(sut.AcquireAsync, $$"""{"batch_id": "{{Batch}}", "owner": "{{owner}}", "lease_seconds": {{leaseSeconds}}}""");

    private static Task<JsonObject> ReleaseAsync(DateLockFunction sut, string owner) =>
        Invoke(sut.ReleaseAsync, $$"""{"batch_id": "{{Batch}}", "owner": "{{owner}}"}""");

    private static async Task<JsonObject> Invoke(Func<Stream, CancellationToken, Task<Stream>> handler, string json)
    {
        await using var output = await handler(S3Events.Text(json), CancellationToken.None);
        return JsonNode.Parse(output)!.AsObject();
    }

    private async Task<(DateLockFunction Sut, FakeTimeProvider Clock)> CreateSut()
    {
        var table = await fixture.CreateLockTableAsync();
        var clock = new FakeTimeProvider(Now);
        var settings = new LambdaSettings { LockTable = table, InvocationBudget = TimeSpan.FromMinutes(5) };
        return (new DateLockFunction(fixture.CreateDynamoDbClient(), settings, clock, new ListLoggerFactory()), clock);
    }
}
