using System.Net;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using KpiPipeline.Batching;
using KpiPipeline.Lambda.Tests.Infrastructure;

namespace KpiPipeline.Lambda.Tests.Execution;

public sealed class StepFunctionsStarterTests : IAsyncLifetime
{
    private static readonly BatchExecutionInput Input = new("kpi-lake", "2024-01-01", 3, "batches/2024-01-01/v0003.json");

    private FakeStepFunctions _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeStepFunctions.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task StartAsync_FirstStart_SignedJsonRequestWithTheInputAsAString()
    {
        var sut = CreateSut();

        var start = await sut.StartAsync(Input, CancellationToken.None);

        Assert.Empty(_fake.Problems);
        Assert.Equal(("2024-01-01-v3", false), (start.ExecutionName, start.AlreadyExisted));
        Assert.EndsWith(":execution:kpi-pipeline:2024-01-01-v3", start.ExecutionArn, StringComparison.Ordinal);
        var input = JsonNode.Parse(_fake.Executions["2024-01-01-v3"])!;
        Assert.Equal(("kpi-lake", "2024-01-01", 3, "batches/2024-01-01/v0003.json"),
            ((string?)input["bucket"], (string?)input["batch_id"], (int)input["version"]!, (string?)input["manifest_key"]));
    }

    [Fact]
    public async Task StartAsync_InputWithAPlus_SentUnescaped()
    {
        var sut = CreateSut();

        await sut.StartAsync(Input with { Bucket = "kpi+lake" }, CancellationToken.None);

        Assert.Contains("\\\"bucket\\\":\\\"kpi+lake\\\"", Assert.Single(_fake.Bodies), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_SameNameAgain_ReportsAlreadyExistedInsteadOfFailing()
    {
        var sut = CreateSut();
        await sut.StartAsync(Input, CancellationToken.None);

        var again = await sut.StartAsync(Input, CancellationToken.None);

        Assert.True(again.AlreadyExisted);
        Assert.Equal((1, 2), (_fake.Executions.Count, _fake.Requests));
        Assert.Empty(_fake.Problems);
    }

    [Fact]
    public async Task StartAsync_ServiceError_ThrowsWithTheErrorTypeAndMessage()
    {
        var sut = CreateSut();
        _fake.FailWith = ("StateMachineDoesNotExist", HttpStatusCode.BadRequest);

        var error = await Assert.ThrowsAsync<StepFunctionsException>(() => sut.StartAsync(Input, CancellationToken.None));

        Assert.Equal("StateMachineDoesNotExist", error.ErrorType);
        Assert.Contains("StartExecution of '2024-01-01-v3'", error.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 400 StateMachineDoesNotExist: injected failure", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_EndpointOverrideSet_UsesIt()
    {
        var previous = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_SFN");
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_SFN", _fake.Url.ToString());
        try
        {
            var sut = StepFunctionsStarter.Create(FakeStepFunctions.StateMachineArn, new BasicAWSCredentials("a", "b"));

            Assert.Equal(_fake.Url, sut.Endpoint);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_SFN", previous);
        }
    }

    [Theory]
    [InlineData("arn:aws:states:eu-central-1:123456789012:stateMachine:kpi", "eu-central-1")]
    [InlineData("arn:aws-cn:states:cn-north-1:123456789012:stateMachine:kpi", "cn-north-1")]
    [InlineData("kpi-pipeline", null)]
    public void RegionOf_StateMachineArn_NamesItsRegion(string arn, string? region)
    {
        Assert.Equal(region, StepFunctionsStarter.RegionOf(arn)?.SystemName);
    }

    private StepFunctionsStarter CreateSut() => SignedStarters.For(_fake);
}
