using KpiPipeline.SparkJob.SparkConnect;
using KpiPipeline.SparkJob.Tests.SparkConnect.DuckDb;
using KpiPipeline.Testing;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

/// <summary>
/// spark-check against the DuckDB stand-in: the statements it sends must write Parquet in the curated layout that the
/// engine's own view reads back, and the KPIs must match the in-process computation (no Spark here to run it on).
/// </summary>
[Collection(FakeSparkConnectServerCollection.Name)]
public sealed class SparkCheckTests(FakeSparkConnectServer server) : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("spark-check-");
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    public void Dispose()
    {
        _timeout.Dispose();
        _temp.Delete(recursive: true);
    }

    [Fact]
    public async Task RunAsync_StandInServer_WritesTheSampleAsCuratedParquetReadsItBackAndMatches()
    {
        using var spark = new DuckDbSparkSession();
        await using var client = new SparkConnectClient(SparkConnectionString.Parse(server.PlaintextConnectionString));
        server.ForSession(client.SessionId, spark.HandleAsync);
        var folder = Directory.CreateDirectory(Path.Combine(_temp.FullName, "check #1 Grüße")).FullName;

        var result = await new SparkCheck(client).RunAsync(HadoopPath.FromLocalFolder(folder), _timeout.Token);

        Assert.True(result.Passed, $"read {result.LinesRead} of {result.LinesWritten}; {result.Actual.Daily.Count} daily rows");
        Assert.Equal(DuckDbSparkSession.Version, result.SparkVersion);
        Assert.Equal(SparkCheck.SampleLines.Count, result.LinesRead);
        Assert.Equal(2, result.Actual.Daily.Count);
        Assert.Equal(["date=2031-03-01", "date=2031-03-02"], Directory.GetDirectories(folder).Select(Path.GetFileName).Order());
        Assert.All(spark.ReceivedSql.Take(3), sql => Assert.StartsWith("INSERT OVERWRITE DIRECTORY 'file://", sql, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SparkCheckCommand_StandInServer_PrintsTheVersionAndOkAndExits0()
    {
        using var spark = new DuckDbSparkSession();
        // The command runs in its own process: naming the session lets this server route it to the stand-in.
        var sessionId = Guid.NewGuid().ToString("D");
        server.ForSession(sessionId, spark.HandleAsync);

        var result = await KpiJobProcess.RunAsync("spark-check", "--spark-remote", $"{server.PlaintextConnectionString}/;session_id={sessionId}", "--location", _temp.FullName);

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains($"Spark {DuckDbSparkSession.Version} at 127.0.0.1:{server.PlaintextPort}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("OK: Spark's KPIs equal the in-process engine's (2 daily and 5 category rows).", result.StandardOutput, StringComparison.Ordinal);
    }
}
