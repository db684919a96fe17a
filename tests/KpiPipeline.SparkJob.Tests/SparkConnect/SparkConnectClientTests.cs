using System.Net;
using System.Net.Sockets;
using KpiPipeline.SparkJob.SparkConnect;
using KpiPipeline.SparkJob.Tests.SparkConnect.Wire;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

/// <summary>
/// The client on Grpc.Net.Client against the loopback server, which decodes every request with its own table of
/// Spark's messages (never the client's generated code) and answers with Arrow IPC written by Apache.Arrow.
/// </summary>
[Collection(FakeSparkConnectServerCollection.Name)]
public sealed class SparkConnectClientTests(FakeSparkConnectServer server) : IDisposable
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Instant = new(2031, 3, 1, 22, 30, 15, 123, TimeSpan.Zero);

    private readonly CancellationTokenSource _timeout = new(TestTimeout);

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task QueryAsync_TypedColumnsInSeveralBatches_ReadsEveryValueInOrder()
    {
        const string sql = "SELECT * FROM typed";
        server.When(sql, call => call.RespondAsync(
        [
            SparkResponses.Schema(),
            SparkResponses.Batch(TypedRows(["Books", "Grüße, \"quoted\""], [12.50m, -0.000001m], [3L, long.MaxValue], [0.25, double.NaN], [true, false])),
            SparkResponses.Progress(),
            SparkResponses.Batch(TypedRows([""], [999999999999.999999m], [0L], [-1e300], [false])),
            SparkResponses.Metrics(),
        ]));
        await using var client = CreateSut();

        var rows = await client.QueryAsync(sql, ReadTyped, Timeout()).ToListAsync();

        Assert.Equal(
        [
            ("Books", 12.50m, 3L, 0.25, true, new DateOnly(2031, 3, 1), Instant),
            ("Grüße, \"quoted\"", -0.000001m, long.MaxValue, double.NaN, false, new DateOnly(2031, 3, 1), Instant),
            ("", 999999999999.999999m, 0L, -1e300, false, new DateOnly(2031, 3, 1), Instant),
        ], rows);
    }

    [Fact]
    public async Task QueryAsync_Request_IsAReattachableRootSqlRelationWithSessionUserAndFreshOperationId()
    {
        const string sql = "SELECT 'shape' AS j";
        server.When(sql, call => call.RespondAsync([SparkResponses.Batch(new ArrowTable().String("j", "x"))]));
        await using var client = CreateSut(";user_id=kpi-user;user_agent=kpi-tests/1;x-cluster-id=c-42");

        await QueryStringsAsync(client, sql);
        await QueryStringsAsync(client, sql);

        var received = server.ReceivedFor(sql);
        Assert.Equal(2, received.Count);
        foreach (var request in received)
        {
            Assert.Equal("ExecutePlan", request.Method);
            Assert.Equal("root.sql", request.PlanShape);
            var message = request.Message;
            Assert.Equal(client.SessionId, message.String("session_id"));
            Assert.True(Guid.TryParseExact(message.String("session_id"), "D", out _));
            Assert.Equal("kpi-user", message.Message("user_context")!.String("user_id"));
            Assert.Equal("kpi-tests/1", message.String("client_type"));
            Assert.True(Guid.TryParseExact(message.String("operation_id"), "D", out _));
            var option = Assert.Single(message.Messages("request_options"));
            Assert.True(option.Message("reattach_options")!.Bool("reattachable"));
            Assert.Equal("c-42", request.Headers["x-cluster-id"]);
            Assert.False(request.Headers.ContainsKey("authorization"));
            // Every execution is released once it completed.
            await server.Released(request.OperationId).WaitAsync(TestTimeout);
        }

        Assert.NotEqual(received[0].OperationId, received[1].OperationId);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_Statement_SendsSqlCommandDrainsTheStreamAndReleasesIt()
    {
        const string sql = "CREATE OR REPLACE TEMP VIEW order_lines AS SELECT 1";
        server.When(sql, call => call.RespondAsync([SparkResponses.CommandResult(), SparkResponses.Metrics()]));
        await using var client = CreateSut();

        await client.ExecuteSqlCommandAsync(sql, CancellationToken.None).WaitAsync(TestTimeout);

        var request = Assert.Single(server.ReceivedFor(sql));
        Assert.Equal("command.sql_command", request.PlanShape);
        Assert.Equal(sql, request.Message.Message("plan")!.Message("command")!.Message("sql_command")!.String("sql"));
        Assert.Equal(client.SessionId, request.SessionId);
        var release = server.ReceivedInSession(client.SessionId).Single(r => r.Method == "ReleaseExecute");
        Assert.Equal(request.OperationId, release.OperationId);
        Assert.True(release.Message.Has("release_all"));
    }

    [Fact]
    public async Task QueryAsync_EmptyResult_ReturnsNoRows()
    {
        const string sql = "SELECT j FROM empty";
        server.When(sql, call => call.RespondAsync(
        [
            SparkResponses.Schema(),
            SparkResponses.Batch(new ArrowTable().String("j")),
            // Some writers send the schema alone for an empty result.
            SparkResponses.Batch(0, ArrowTable.IpcStream(new ArrowTable().String("j").Schema, [])),
            SparkResponses.Metrics(),
        ]));
        await using var client = CreateSut();

        Assert.Empty(await QueryStringsAsync(client, sql));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2, 3)]
    [InlineData(4, 1, 6)]
    [InlineData(7, 13)]
    public async Task QueryAsync_MessagesSplitAcrossDataFrames_ReassemblesThem(params int[] pieceSizes)
    {
        var sql = $"SELECT j FROM split_{string.Join('_', pieceSizes)}";
        server.When(sql, async call =>
        {
            var bytes = new[]
            {
                SparkResponses.Schema(),
                SparkResponses.Batch(new ArrowTable().String("j", "first", null)),
                SparkResponses.Batch(new ArrowTable().String("j", "second")),
                SparkResponses.Response().Set("result_complete", new WireBuilder("ExecutePlanResponse.ResultComplete")),
            }.SelectMany(r => FakeCall.Frame(r.Set("session_id", call.SessionId).ToByteArray())).ToArray();
            await call.WriteInPiecesAsync(bytes, pieceSizes);
            call.Finish();
        });
        await using var client = CreateSut();

        Assert.Equal(["first", null, "second"], await QueryStringsAsync(client, sql));
    }

    [Fact]
    public async Task QueryAsync_StreamEndsWithoutResultComplete_ReattachesAfterTheLastResponseUntilComplete()
    {
        const string sql = "SELECT j FROM long_running";
        server.When(sql, call => call.RespondAsync(
            [SparkResponses.Batch(new ArrowTable().String("j", "a")), SparkResponses.Batch(new ArrowTable().String("j", "b")), SparkResponses.Batch(new ArrowTable().String("j", "c"))],
            new StreamEnd(After: 1), new StreamEnd(After: 2)));
        await using var client = CreateSut();

        var rows = await QueryStringsAsync(client, sql);

        Assert.Equal(["a", "b", "c"], rows);
        var requests = server.ReceivedInSession(client.SessionId);
        Assert.Equal(["ExecutePlan", "ReattachExecute", "ReattachExecute", "ReleaseExecute"], requests.Select(r => r.Method));
        var operationId = requests[0].OperationId;
        Assert.All(requests, r => Assert.Equal(operationId, r.OperationId));
        Assert.All(requests.Skip(1).Take(2), r => Assert.NotEmpty(r.Message.String("last_response_id")));
        Assert.NotEqual(requests[1].Message.String("last_response_id"), requests[2].Message.String("last_response_id"));
    }

    [Fact]
    public async Task QueryAsync_ReattachedStreamReset_ReattachesAgainAndReturnsEveryRowOnce()
    {
        const string sql = "SELECT j FROM reset_midway";
        // A reset loses what the client had not read yet, so the stream that breaks is one that has sent nothing.
        server.When(sql, call => call.RespondAsync(
            [SparkResponses.Batch(new ArrowTable().String("j", "a")), SparkResponses.Batch(new ArrowTable().String("j", "b"))],
            new StreamEnd(After: 1), new StreamEnd(After: 1, Cut: true)));
        await using var client = CreateSut();

        var rows = await QueryStringsAsync(client, sql);

        Assert.Equal(["a", "b"], rows);
        Assert.Equal(["ExecutePlan", "ReattachExecute", "ReattachExecute", "ReleaseExecute"], server.ReceivedInSession(client.SessionId).Select(r => r.Method));
    }

    [Fact]
    public async Task QueryAsync_StreamResetEveryTime_GivesUpAfterTheConfiguredReattachesNamingTheCut()
    {
        const string sql = "SELECT j FROM always_reset";
        server.When(sql, call => call.RespondAsync(
            [SparkResponses.Batch(new ArrowTable().String("j", "a")), SparkResponses.Batch(new ArrowTable().String("j", "b"))],
            [new StreamEnd(After: 1), .. Enumerable.Repeat(new StreamEnd(After: 1, Cut: true), 10)]));
        await using var client = CreateSut(options: new SparkConnectClientOptions { MaxReattachAfterFailure = 2 });

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryStringsAsync(client, sql));

        Assert.StartsWith($"Spark Connect ReattachExecute stream from 127.0.0.1:{server.PlaintextPort} was cut midway: ", ex.Message, StringComparison.Ordinal);
        // One after the stream that ended early, then two after resets.
        Assert.Equal(3, server.ReceivedInSession(client.SessionId).Count(r => r.Method == "ReattachExecute"));
    }

    [Fact]
    public async Task QueryAsync_StreamResetBeforeAnyResponse_ThrowsStreamCutWithoutReattaching()
    {
        const string sql = "SELECT j FROM reset_at_once";
        server.When(sql, call =>
        {
            call.Cut();
            return Task.CompletedTask;
        });
        await using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryStringsAsync(client, sql));

        Assert.Contains($"127.0.0.1:{server.PlaintextPort}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.DoesNotContain(server.ReceivedInSession(client.SessionId), r => r.Method == "ReattachExecute");
    }

    [Fact]
    public async Task QueryAsync_SqlErrorAfterSomeResponses_ThrowsServerTextOnOneLineWithReasonAndReleases()
    {
        const string sql = "SELECT j FROM missing_table";
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.Schema().Set("session_id", call.SessionId).Set("response_id", Guid.NewGuid().ToString("D")));
            call.Finish(13, "%5BTABLE_OR_VIEW_NOT_FOUND%5D%20The%20table%20%60missing_table%60%20cannot%20be%20found.%0A%20SQLSTATE:%2042P01", SparkResponses.ErrorDetails("org.apache.spark.sql.AnalysisException"));
        });
        await using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryStringsAsync(client, sql));

        Assert.Equal($"Spark SQL error [org.apache.spark.sql.AnalysisException] from 127.0.0.1:{server.PlaintextPort} (INTERNAL): [TABLE_OR_VIEW_NOT_FOUND] The table `missing_table` cannot be found. SQLSTATE: 42P01", ex.Message);
        Assert.Equal(13, ex.GrpcStatus);
        Assert.Equal("org.apache.spark.sql.AnalysisException", ex.ErrorReason);
        await server.Released(server.ReceivedFor(sql).Single().OperationId).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_TrailersOnlyError_ThrowsWithStatusAndMessage()
    {
        const string sql = "SET trailers_only=1";
        server.When(sql, call =>
        {
            call.TrailersOnly(3, "bad%20plan");
            return Task.CompletedTask;
        });
        await using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync(sql, Timeout()));

        Assert.Equal($"Spark Connect ExecutePlan at 127.0.0.1:{server.PlaintextPort} failed with INVALID_ARGUMENT (3): bad plan", ex.Message);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_Unauthenticated_ThrowsAuthenticationError()
    {
        const string sql = "SET auth=1";
        server.When(sql, call =>
        {
            call.TrailersOnly(16, "Invalid%20authentication%20token");
            return Task.CompletedTask;
        });
        await using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync(sql, Timeout()));

        Assert.Equal($"Spark Connect authentication failed at 127.0.0.1:{server.PlaintextPort} (UNAUTHENTICATED): Invalid authentication token (check the token parameter)", ex.Message);
    }

    [Fact]
    public async Task QueryAsync_OperationTimeoutPasses_ThrowsDeadlineExceededAndReleasesTheExecution()
    {
        const string sql = "SELECT j FROM slow";
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.Batch(new ArrowTable().String("j", "first")).Set("session_id", call.SessionId).Set("response_id", Guid.NewGuid().ToString("D")));
            await WaitForAbortAsync(call);
        });
        await using var client = CreateSut(options: new SparkConnectClientOptions { OperationTimeout = TimeSpan.FromMilliseconds(500) });

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryStringsAsync(client, sql));

        Assert.Equal($"Spark Connect ExecutePlan at 127.0.0.1:{server.PlaintextPort} did not finish within its deadline of 0.5 s (DEADLINE_EXCEEDED).", ex.Message);
        await server.Released(server.ReceivedFor(sql).Single().OperationId).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task QueryAsync_Cancelled_ResetsTheStreamAndReleasesTheExecution()
    {
        const string sql = "SELECT j FROM endless";
        var serverSawAbort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.Batch(new ArrowTable().String("j", "first")).Set("session_id", call.SessionId).Set("response_id", Guid.NewGuid().ToString("D")));
            await WaitForAbortAsync(call);
            serverSawAbort.SetResult();
        });
        await using var client = CreateSut();
        using var cancellation = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var row in client.QueryAsync(sql, r => r.GetString("j"), cancellation.Token))
            {
                Assert.Equal("first", row);
                await cancellation.CancelAsync();
            }
        });

        await serverSawAbort.Task.WaitAsync(TestTimeout);
        // ReleaseExecute is what interrupts the query on a real server.
        await server.Released(server.ReceivedFor(sql).Single().OperationId).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task GetSparkVersionAsync_Server_ReturnsVersionFromAnalyzePlan()
    {
        server.When(FakeSparkConnectServer.VersionScriptKey, async call =>
        {
            await call.WriteAsync(new WireBuilder("AnalyzePlanResponse").Set("session_id", call.SessionId)
                .Set("spark_version", new WireBuilder("AnalyzePlanResponse.SparkVersion").Set("version", "4.1.0")));
            call.Finish();
        });
        await using var client = CreateSut();

        var version = await client.GetSparkVersionAsync(Timeout());

        Assert.Equal("4.1.0", version);
        var request = Assert.Single(server.ReceivedInSession(client.SessionId));
        Assert.True(request.Message.Has("spark_version"));
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_AfterAResponse_EchoesTheServerSideSessionId()
    {
        const string sql = "SET echo=1";
        server.When(sql, call => call.RespondAsync([SparkResponses.CommandResult()]));
        await using var client = CreateSut();

        await client.ExecuteSqlCommandAsync(sql, Timeout());
        await client.ExecuteSqlCommandAsync(sql, Timeout());

        var requests = server.ReceivedFor(sql);
        Assert.False(requests[0].Message.Has("client_observed_server_side_session_id"));
        Assert.Equal(server.ServerSideSessionId, requests[1].Message.String("client_observed_server_side_session_id"));
    }

    [Fact]
    public async Task DisposeAsync_AfterUse_ReleasesTheSessionItCreated()
    {
        const string sql = "SET release_session=1";
        server.When(sql, call => call.RespondAsync([SparkResponses.CommandResult()]));
        var client = CreateSut(";user_id=releaser");
        await client.ExecuteSqlCommandAsync(sql, Timeout());

        await client.DisposeAsync();

        var release = server.ReceivedInSession(client.SessionId).Last();
        Assert.Equal("ReleaseSession", release.Method);
        Assert.Equal("releaser", release.Message.Message("user_context")!.String("user_id"));
    }

    [Fact]
    public async Task DisposeAsync_SessionNamedInTheConnectionString_IsLeftToItsOwner()
    {
        const string sql = "SET keep_session=1";
        server.When(sql, call => call.RespondAsync([SparkResponses.CommandResult()]));
        var sessionId = Guid.NewGuid().ToString("D");
        var client = CreateSut($";session_id={sessionId}");
        await client.ExecuteSqlCommandAsync(sql, Timeout());

        await client.DisposeAsync();

        Assert.Equal(sessionId, client.SessionId);
        Assert.DoesNotContain(server.ReceivedInSession(sessionId), r => r.Method == "ReleaseSession");
    }

    [Fact]
    public async Task QueryAsync_TokenOverTls_SendsBearerTokenOverHttp2WithTls()
    {
        const string sql = "SELECT j FROM over_tls";
        server.When(sql, call => call.RespondAsync([SparkResponses.Batch(new ArrowTable().String("j", call.Context.Request.IsHttps ? "tls" : "plaintext"))]));
        var connection = SparkConnectionString.Parse($"sc://127.0.0.1:{server.TlsPort}/;token=s3cr3t");
        var thumbprint = server.Certificate.Thumbprint;
        await using var client = new SparkConnectClient(connection, options: null, handler =>
        {
            // Loopback only: never through an HTTPS_PROXY the machine may define.
            handler.UseProxy = false;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint;
        });

        var rows = await QueryStringsAsync(client, sql);

        Assert.Equal(["tls"], rows);
        var request = Assert.Single(server.ReceivedFor(sql));
        Assert.Equal("Bearer s3cr3t", request.Headers["authorization"]);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_ClosedPort_ThrowsUnreachableNamingHostAndPort()
    {
        var port = GetClosedPort();
        await using var client = new SparkConnectClient(SparkConnectionString.Parse($"sc://127.0.0.1:{port}"));

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync("SET x=1", Timeout()));

        Assert.StartsWith($"Spark Connect server unreachable at 127.0.0.1:{port}: ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_TlsAgainstPlaintextServer_ThrowsTlsFailureWithHint()
    {
        await using var client = new SparkConnectClient(SparkConnectionString.Parse($"sc://127.0.0.1:{server.PlaintextPort}/;use_ssl=true"), options: null, Direct);

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync("SET tls=1", Timeout()));

        Assert.StartsWith($"TLS handshake with the Spark Connect server at 127.0.0.1:{server.PlaintextPort} failed: ", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("(use_ssl=true and token need TLS, which open-source Spark Connect only has behind a proxy).", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_UntrustedCertificate_ThrowsTlsFailure()
    {
        await using var client = new SparkConnectClient(SparkConnectionString.Parse($"sc://127.0.0.1:{server.TlsPort}/;token=t"), options: null, Direct);

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync("SET tls=2", Timeout()));

        Assert.StartsWith($"TLS handshake with the Spark Connect server at 127.0.0.1:{server.TlsPort} failed: The remote certificate is invalid", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_PlaintextAgainstTlsServer_ThrowsNamingTheEndpoint()
    {
        await using var client = new SparkConnectClient(SparkConnectionString.Parse($"sc://127.0.0.1:{server.TlsPort}"));

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync("SET tls=3", Timeout()));

        Assert.Contains($"127.0.0.1:{server.TlsPort}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task QueryAsync_MessageOverMaxSize_ThrowsNamingTheSetting()
    {
        const string sql = "SELECT j FROM big";
        server.When(sql, call => call.RespondAsync([SparkResponses.Batch(new ArrowTable().String("j", new string('x', 4096)))]));
        await using var client = CreateSut(";grpc_max_message_size=1024");

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryStringsAsync(client, sql));

        Assert.EndsWith("(raise grpc_max_message_size in the connection string).", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_RowCountDisagreesWithArrow_Throws()
    {
        const string sql = "SELECT j FROM miscounted";
        server.When(sql, call => call.RespondAsync([SparkResponses.Batch(3, new ArrowTable().String("j", "a", "b").ToIpcStream())]));
        await using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryStringsAsync(client, sql));

        Assert.Equal("Malformed Arrow IPC data from Spark: the batch says 3 rows but its Arrow data holds 2.", ex.Message);
    }

    [Fact]
    public async Task QueryAsync_ArrowDataCutShort_ThrowsMalformedArrow()
    {
        const string sql = "SELECT j FROM truncated_arrow";
        var ipc = new ArrowTable().String("j", "a", "b").ToIpcStream();
        server.When(sql, call => call.RespondAsync([SparkResponses.Batch(2, ipc[..(ipc.Length / 2)])]));
        await using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryStringsAsync(client, sql));

        Assert.StartsWith("Malformed Arrow IPC data from Spark: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_ResponseThatIsNotProtobuf_ThrowsNamingTheCall()
    {
        const string sql = "SELECT j FROM garbage";
        server.When(sql, async call =>
        {
            await call.WriteBytesAsync(FakeCall.Frame([0xFF, 0xFF, 0xFF]));
            call.Finish();
        });
        await using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryStringsAsync(client, sql));

        Assert.StartsWith($"Spark Connect ExecutePlan at 127.0.0.1:{server.PlaintextPort} sent a message that does not decode: ", ex.Message, StringComparison.Ordinal);
    }

    private SparkConnectClient CreateSut(string parameters = "", SparkConnectClientOptions? options = null) =>
        new(SparkConnectionString.Parse(server.PlaintextConnectionString + (parameters.Length == 0 ? string.Empty : "/" + parameters)), options);

    private CancellationToken Timeout() => _timeout.Token;

    /// <summary>TLS tests stay on loopback even when the machine defines HTTPS_PROXY.</summary>
    private static void Direct(SocketsHttpHandler handler) => handler.UseProxy = false;

    private Task<List<string?>> QueryStringsAsync(SparkConnectClient client, string sql) =>
        client.QueryAsync(sql, r => r.GetStringOrNull("j"), Timeout()).ToListAsync().AsTask();

    private static ArrowTable TypedRows(string[] names, decimal[] prices, long[] counts, double[] ratios, bool[] flags) => new ArrowTable()
        .String("name", names)
        .Decimal("price", 38, 6, [.. prices.Select(p => (decimal?)p)])
        .Int64("count", [.. counts.Select(c => (long?)c)])
        .Double("ratio", [.. ratios.Select(r => (double?)r)])
        .Boolean("flag", [.. flags.Select(f => (bool?)f)])
        .Date("day", [.. names.Select(_ => (DateOnly?)new DateOnly(2031, 3, 1))])
        .Timestamp("at", "Europe/Berlin", [.. names.Select(_ => (DateTimeOffset?)Instant.ToOffset(TimeSpan.FromHours(1)))]);

    private static (string, decimal, long, double, bool, DateOnly, DateTimeOffset) ReadTyped(SparkRow row) =>
        (row.GetString("name"), row.GetDecimal("price"), row.GetInt64("count"), row.GetDouble("ratio"), row.GetBoolean("flag"), row.GetDate("day"), row.GetTimestamp("at"));

    private static async Task WaitForAbortAsync(FakeCall call)
    {
        // Holds the stream open like a long-running Spark job until the client goes away.
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = call.Context.RequestAborted.Register(aborted.SetResult);
        await aborted.Task;
    }

    private static int GetClosedPort()
    {
        // Bind to an ephemeral port, then release it: nothing listens there afterwards.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
