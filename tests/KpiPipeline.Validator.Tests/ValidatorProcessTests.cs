using KpiPipeline.Testing;

namespace KpiPipeline.Validator.Tests;

/// <summary>The built validator as the container runs it: a process, its exit code and output (issue 11, point 5).</summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed class ValidatorProcessTests(EmulatorFixture emulators)
{
    [Fact]
    public async Task Validator_Help_UsageOnStandardOutputExitZero()
    {
        var result = await ValidatorProcess.RunAsync(null, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("usage: validator --manifest <key>", result.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(result.StandardError);
    }

    [Fact]
    public async Task Validator_BucketDoesNotExist_OneLineNamingTheBucketExitOne()
    {
        var bucket = emulators.NewName("missing");

        var result = await ValidatorProcess.RunAsync(emulators.Environment, "--bucket", bucket, "--manifest", "batches/2024-03-01/v0001.json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"validator: infrastructure failure: S3 bucket '{bucket}' does not exist", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(result.StandardOutput);
    }
}
