namespace KpiPipeline.Lambda.Tests;

public sealed class LambdaSettingsTests
{
    [Fact]
    public void FromEnvironment_NothingSet_ContractDefaults()
    {
        var settings = LambdaSettings.FromEnvironment(_ => null);

        Assert.Equal(("BatchFileTracker", "BatchDateLocks", null, TimeSpan.FromMinutes(120)), (settings.TrackerTable, settings.LockTable, settings.StateMachineArn, settings.StaleBatchAfter));
    }

    [Fact]
    public void FromEnvironment_Set_ValuesUsed()
    {
        var variables = new Dictionary<string, string>
        {
            ["TRACKER_TABLE"] = "t1",
            ["LOCK_TABLE"] = "l1",
            ["STATE_MACHINE_ARN"] = "arn:aws:states:eu-west-1:1:stateMachine:x",
            ["STALE_BATCH_AFTER_MINUTES"] = "30",
            ["INVOCATION_BUDGET_SECONDS"] = "50",
        };

        var settings = LambdaSettings.FromEnvironment(variables.GetValueOrDefault);

        Assert.Equal(("t1", "l1", "arn:aws:states:eu-west-1:1:stateMachine:x", TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(50)),
            (settings.TrackerTable, settings.LockTable, settings.StateMachineArn, settings.StaleBatchAfter, settings.InvocationBudget));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0")]
    [InlineData("-5")]
    public void FromEnvironment_BadStalePeriod_NamesTheVariable(string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => LambdaSettings.FromEnvironment(name => name == "STALE_BATCH_AFTER_MINUTES" ? value : null));

        Assert.Equal($"STALE_BATCH_AFTER_MINUTES must be a positive number, found '{value}'.", error.Message);
    }
}
