using KpiPipeline.StateMachine.Tests.Support;
using KpiPipeline.Testing;

namespace KpiPipeline.StateMachine.Tests;

/// <summary>
/// <c>kpi-job run --orchestrator local-sfn</c> on a lake in a folder (the README's command): the state machine path
/// and the in-process path must store the same KPIs from the same files.
/// </summary>
public sealed class RunOrchestratorTests
{
    [Fact]
    public async Task Run_LocalSfnOnAFolder_StoresTheSameKpisAsInProcessAndNotifiesSuccess()
    {
        using var viaStateMachine = new TempLake();
        using var inProcess = new TempLake();
        foreach (var lake in new[] { viaStateMachine, inProcess })
        {
            foreach (var (key, content) in ShopDay.Good().Files)
                lake.Write(key, content);
        }

        var local = await KpiJobProcess.RunAsync("run", "--lake", viaStateMachine.Root, "--orchestrator", "local-sfn", "--format", "json");
        var direct = await KpiJobProcess.RunAsync("run", "--lake", inProcess.Root, "--format", "json");

        Assert.True(local.ExitCode == 0, local.StandardError);
        Assert.True(direct.ExitCode == 0, direct.StandardError);
        Assert.Equal(direct.StandardOutput, local.StandardOutput);
        Assert.Contains("\"total_orders\"", local.StandardOutput, StringComparison.Ordinal);
        Assert.True(viaStateMachine.Exists("processed/orders/2024-01-01/part-0000.csv"));
        var notification = Assert.Single(File.ReadAllLines(viaStateMachine.PathOf(".local-sfn/notifications.jsonl")));
        Assert.Contains("KPI batch 2024-01-01 v1 processed", notification, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(viaStateMachine.PathOf(".local-sfn/locks")));
    }

    [Fact]
    public async Task Run_LocalSfnOnAFolderWithABrokenFile_ExitsRejectedNotifiesTheFailureAndReleasesTheLease()
    {
        using var lake = new TempLake();
        foreach (var (key, content) in ShopDay.WithBrokenOrdersFile().Files)
            lake.Write(key, content);

        var run = await KpiJobProcess.RunAsync("run", "--lake", lake.Root, "--orchestrator", "local-sfn", "--format", "none");

        Assert.True(run.ExitCode == 2, $"exit code {run.ExitCode}: {run.StandardError}");
        Assert.Contains("2024-01-01-v1 ended in ValidationFailed", run.StandardError, StringComparison.Ordinal);
        var notification = Assert.Single(File.ReadAllLines(lake.PathOf(".local-sfn/notifications.jsonl")));
        Assert.Contains("KPI batch 2024-01-01 v1 failed in validation", notification, StringComparison.Ordinal);
        Assert.True(lake.Exists("invalid/orders/2024-01-01/part-0000.csv"));
        Assert.Empty(Directory.EnumerateFiles(lake.PathOf(".local-sfn/locks")));
    }
}
