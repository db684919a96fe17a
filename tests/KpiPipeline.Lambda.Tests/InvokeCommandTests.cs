using System.Diagnostics;
using System.Text.Json.Nodes;
using KpiPipeline.Lambda.Tests.Infrastructure;
using KpiPipeline.Testing;

namespace KpiPipeline.Lambda.Tests;

[Collection(EmulatorFixture.CollectionName)]
public sealed class InvokeCommandTests(EmulatorFixture fixture)
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData(new string[0], "error: no command. usage:")]
    [InlineData(new[] { "run" }, "error: unknown command 'run'.")]
    [InlineData(new[] { "invoke", "--event", "x.json" }, "error: --function is required.")]
    [InlineData(new[] { "invoke", "--function", "sweeper" }, "error: --event is required.")]
    [InlineData(new[] { "invoke", "--function", "sweeper", "--event" }, "error: --event needs a value.")]
    [InlineData(new[] { "invoke", "--function", "--event", "x.json" }, "error: --function needs a value.")]
    [InlineData(new[] { "invoke", "--function", "s3-event", "--event", "x.json" }, "error: unknown function 's3-event'; expected one of aggregator, sweeper, acquire-lock, release-lock, dashboard-api.")]
    [InlineData(new[] { "invoke", "--function", "sweeper", "--event", "x.json", "--verbose" }, "error: unknown option '--verbose'.")]
    [InlineData(new[] { "invoke", "--function", "sweeper", "--event", "/nonexistent/event.json" }, "error: cannot read event file '/nonexistent/event.json'")]
    public async Task RunAsync_BadArguments_OneLineErrorAndExitCode2(string[] args, string expected)
    {
        var (exitCode, stdout, stderr) = await RunInProcessAsync(args);

        Assert.Equal(ExitCodes.Rejected, exitCode);
        Assert.Empty(stdout);
        Assert.StartsWith(expected, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Main_S3EventAgainstDynalite_RecordsTheFileAndPrintsOnlyTheResultJson()
    {
        var table = await fixture.CreateTrackerTableAsync();

        var (exitCode, stdout, stderr) = await RunBinaryAsync(["invoke", "--function", "aggregator", "--event", S3Events.FixturePath("s3-put.json")],
            ("TRACKER_TABLE", table), ("STATE_MACHINE_ARN", FakeStepFunctions.StateMachineArn));

        Assert.True(exitCode == 0, stderr);
        var result = JsonNode.Parse(stdout)!;
        Assert.Equal(("recorded", "2024-01-01", "waiting"), ((string?)result["records"]![0]!["outcome"], (string?)result["records"]![0]!["batch_id"], (string?)result["batches"]![0]!["decision"]));
        Assert.Contains("Recorded raw/orders/2024-01-01/part-0000.csv in batch 2024-01-01", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_AcquireLockAgainstDynalite_PrintsTheLease()
    {
        var table = await fixture.CreateLockTableAsync();

        var (exitCode, stdout, stderr) = await RunBinaryAsync(["invoke", "--function", "acquire-lock", "--event", S3Events.FixturePath("lock-acquire.json")], ("LOCK_TABLE", table));

        Assert.True(exitCode == 0, stderr);
        var result = JsonNode.Parse(stdout)!;
        Assert.True((bool)result["acquired"]!);
        Assert.True((long)result["expires_at"]! > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Main_MalformedEvent_ExitCode1WithTheProblemAndNoStackTrace()
    {
        var table = await fixture.CreateTrackerTableAsync();

        var (exitCode, stdout, stderr) = await RunBinaryAsync(["invoke", "--function", "aggregator", "--event", S3Events.FixturePath(Path.Combine("malformed", "record-without-key.json"))],
            ("TRACKER_TABLE", table), ("STATE_MACHINE_ARN", FakeStepFunctions.StateMachineArn));

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Empty(stdout);
        Assert.EndsWith("error: aggregator failed: Records[1].s3.object.key is missing.", stderr.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_BadStalePeriod_ExitCode1NamingTheVariable()
    {
        var (exitCode, stdout, stderr) = await RunBinaryAsync(["invoke", "--function", "sweeper", "--event", S3Events.FixturePath("scheduled-event.json")],
            ("STALE_BATCH_AFTER_MINUTES", "soon"), ("STATE_MACHINE_ARN", FakeStepFunctions.StateMachineArn));

        Assert.Equal((ExitCodes.Failure, ""), (exitCode, stdout));
        Assert.EndsWith("error: sweeper failed: STALE_BATCH_AFTER_MINUTES must be a positive number, found 'soon'.", stderr.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_SweeperWithoutStateMachineArn_FailsAtStartUpNamingTheVariable()
    {
        var (exitCode, _, stderr) = await RunBinaryAsync(["invoke", "--function", "sweeper", "--event", S3Events.FixturePath("scheduled-event.json")]);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.EndsWith("error: sweeper failed: STATE_MACHINE_ARN is not set: the sweeper starts the state machine's executions and needs its ARN.", stderr.TrimEnd(), StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunInProcessAsync(string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await InvokeCommand.RunAsync(args, stdout, stderr);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// The Lambda project's own build output (built with this test project, same configuration). Not the
    /// copy beside the tests: that folder takes Microsoft.Extensions.* from the ASP.NET Core framework the
    /// tests reference, which the Lambda's deps.json does not.
    /// </summary>
    private static string LambdaAssembly()
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!.Name;
        var path = Path.Combine(RepositoryRoot.Find(), "lambda", "bin", configuration, framework.Name, "KpiPipeline.Lambda.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: build lambda/ first.");
    }

    /// <summary>Runs the built KpiPipeline.Lambda.dll as the local invoke does, configured only by environment variables.</summary>
    private async Task<(int ExitCode, string Stdout, string Stderr)> RunBinaryAsync(string[] args, params (string Name, string Value)[] environment)
    {
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(LambdaAssembly());
        foreach (var arg in args)
            startInfo.ArgumentList.Add(arg);
        foreach (var name in startInfo.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k is "TRACKER_TABLE" or "LOCK_TABLE" or "STATE_MACHINE_ARN" or "STALE_BATCH_AFTER_MINUTES" or "KPI_FUNCTION").ToList())
            startInfo.Environment.Remove(name);
        startInfo.Environment["AWS_REGION"] = EmulatorFixture.Region;
        startInfo.Environment["AWS_ACCESS_KEY_ID"] = EmulatorFixture.AccessKeyId;
        startInfo.Environment["AWS_SECRET_ACCESS_KEY"] = EmulatorFixture.SecretAccessKey;
        startInfo.Environment["AWS_ENDPOINT_URL_DYNAMODB"] = fixture.DynamoDbUrl.ToString().TrimEnd('/');
        foreach (var (name, value) in environment)
            startInfo.Environment[name] = value;

        using var process = Process.Start(startInfo)!;
        using var timeout = new CancellationTokenSource(ProcessTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
