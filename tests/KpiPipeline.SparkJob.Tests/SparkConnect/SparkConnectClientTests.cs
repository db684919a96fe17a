using System.Net;
using System.Net.Sockets;
using KpiPipeline.SparkJob.SparkConnect;
using KpiPipeline.SparkJob.SparkConnect.Protocol;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

[Collection(FakeSparkConnectServerCollection.Name)]
public sealed class SparkConnectClientTests(FakeSparkConnectServer server)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task QuerySingleStringColumnAsync_SchemaBatchesAndMetrics_StreamsRowsOfAllBatches()
    {
        const string sql = "SELECT to_json(struct(*)) AS j FROM kpis /* rows */";
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.Schema(call.SessionId));
            await call.WriteAsync(SparkResponses.Batch(call.SessionId, "{\"a\":1}", null, "Grüße"));
            await call.WriteBytesAsync(SparkResponses.UnknownResponse(call.SessionId));
            await call.WriteAsync(SparkResponses.Batch(call.SessionId, "", "{\"a\":2}"));
            await call.WriteAsync(SparkResponses.Metrics(call.SessionId));
            call.Finish();
        });
        using var client = CreateSut();

        var rows = await QueryAsync(client, sql);

        Assert.Equal(["{\"a\":1}", null, "Grüße", "", "{\"a\":2}"], rows);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_Request_IsRootSqlRelationWithSessionUserAndFreshOperationId()
    {
        const string sql = "SELECT 'shape' AS j";
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.Batch(call.SessionId, "x"));
            call.Finish();
        });
        using var client = CreateSut(";user_id=kpi-user;user_agent=kpi-tests/1;x-cluster-id=c-42");

        await QueryAsync(client, sql);
        await QueryAsync(client, sql);

        var received = server.ReceivedFor(sql);
        Assert.Equal(2, received.Count);
        foreach (var request in received)
        {
            Assert.Equal("ExecutePlan", request.Method);
            Assert.Equal("root.sql", request.PlanShape);
            var message = request.ExecutePlan;
            Assert.Equal(client.SessionId, message.SessionId);
            Assert.True(Guid.TryParseExact(message.SessionId, "D", out _));
            Assert.Equal("kpi-user", message.UserContext.UserId);
            Assert.Equal("kpi-tests/1", message.ClientType);
            Assert.Equal(sql, message.Plan.Root.Sql.Query);
            Assert.True(Guid.TryParseExact(message.OperationId, "D", out _));
            Assert.Equal("kpi-tests/1", request.Headers["user-agent"]);
            Assert.Equal("c-42", request.Headers["x-cluster-id"]);
            Assert.False(request.Headers.ContainsKey("authorization"));
        }

        Assert.NotEqual(received[0].ExecutePlan.OperationId, received[1].ExecutePlan.OperationId);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_Statement_SendsSqlCommandAndDrainsTheStream()
    {
        const string sql = "CREATE OR REPLACE TEMP VIEW order_lines AS SELECT 1";
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.CommandResult(call.SessionId));
            await call.WriteAsync(SparkResponses.Metrics(call.SessionId));
            call.Finish();
        });
        using var client = CreateSut();

        await client.ExecuteSqlCommandAsync(sql, CancellationToken.None).WaitAsync(TestTimeout);

        var request = Assert.Single(server.ReceivedFor(sql));
        Assert.Equal("command.sql_command", request.PlanShape);
        Assert.Equal(sql, request.ExecutePlan.Plan.Command.SqlCommand.Sql);
        Assert.Equal(client.SessionId, request.ExecutePlan.SessionId);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_EmptyResult_ReturnsNoRows()
    {
        const string sql = "SELECT j FROM empty";
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.Schema(call.SessionId));
            await call.WriteAsync(SparkResponses.Batch(call.SessionId));
            await call.WriteAsync(SparkResponses.Metrics(call.SessionId));
            call.Finish();
        });
        using var client = CreateSut();

        Assert.Empty(await QueryAsync(client, sql));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2, 3)]
    [InlineData(4, 1, 6)]
    [InlineData(5)]
    [InlineData(7, 13)]
    public async Task QuerySingleStringColumnAsync_MessagesSplitAcrossDataFrames_ReassemblesThem(params int[] pieceSizes)
    {
        var sql = $"SELECT j FROM split_{string.Join('_', pieceSizes)}";
        server.When(sql, async call =>
        {
            var bytes = new[]
            {
                FakeCall.Frame(SparkResponses.Schema(call.SessionId)),
                FakeCall.Frame(SparkResponses.Batch(call.SessionId, "first", null)),
                FakeCall.Frame(SparkResponses.Batch(call.SessionId, "second")),
                FakeCall.Frame(SparkResponses.Metrics(call.SessionId)),
            }.SelectMany(b => b).ToArray();
            await call.WriteInPiecesAsync(bytes, pieceSizes);
            call.Finish();
        });
        using var client = CreateSut();

        Assert.Equal(["first", null, "second"], await QueryAsync(client, sql));
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_SeveralMessagesInOneDataFrame_ReadsEach()
    {
        const string sql = "SELECT j FROM one_frame";
        server.When(sql, async call =>
        {
            await call.WriteBytesAsync(new[]
            {
                FakeCall.Frame(SparkResponses.Batch(call.SessionId, "1")),
                FakeCall.Frame(SparkResponses.Batch(call.SessionId, "2")),
                FakeCall.Frame(SparkResponses.Batch(call.SessionId, "3")),
            }.SelectMany(b => b).ToArray());
            call.Finish();
        });
        using var client = CreateSut();

        Assert.Equal(["1", "2", "3"], await QueryAsync(client, sql));
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_TrailersOnlyError_ThrowsWithStatusAndMessage()
    {
        const string sql = "SELECT j FROM trailers_only";
        server.When(sql, call =>
        {
            call.TrailersOnly(9, "session%20closed");
            return Task.CompletedTask;
        });
        using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryAsync(client, sql));

        Assert.Equal($"Spark Connect ExecutePlan at 127.0.0.1:{server.PlaintextPort} failed with FAILED_PRECONDITION (9): session closed", ex.Message);
        Assert.Equal(9, ex.GrpcStatus);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_TrailersOnlyOk_Completes()
    {
        const string sql = "SET spark.sql.shuffle.partitions=4";
        server.When(sql, call =>
        {
            call.TrailersOnly(0);
            return Task.CompletedTask;
        });
        using var client = CreateSut();

        await client.ExecuteSqlCommandAsync(sql, CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_Unauthenticated_ThrowsAuthenticationError()
    {
        const string sql = "SET auth=1";
        server.When(sql, call =>
        {
            call.TrailersOnly(16, "Invalid authentication token");
            return Task.CompletedTask;
        });
        using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync(sql, CancellationToken.None));

        Assert.Equal(
            $"Spark Connect authentication failed at 127.0.0.1:{server.PlaintextPort} (UNAUTHENTICATED): Invalid authentication token (check the token parameter)",
            ex.Message);
        Assert.Equal(16, ex.GrpcStatus);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_SqlErrorAfterSomeResponses_ThrowsServerTextOnOneLineWithReason()
    {
        const string sql = "SELECT missing_column FROM t";
        const string serverText = "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `missing_column` cannot be resolved. SQLSTATE: 42703;\n'Project ['missing_column]\n+- Relation t";
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.Schema(call.SessionId));
            call.Finish(13, Uri.EscapeDataString(serverText), SparkResponses.ErrorDetails("org.apache.spark.sql.AnalysisException"));
        });
        using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryAsync(client, sql));

        Assert.Equal(
            $"Spark SQL error [org.apache.spark.sql.AnalysisException] from 127.0.0.1:{server.PlaintextPort} (INTERNAL): "
            + "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `missing_column` cannot be resolved. SQLSTATE: 42703; 'Project ['missing_column] +- Relation t",
            ex.Message);
        Assert.Equal(serverText, ex.ServerMessage);
        Assert.Equal("org.apache.spark.sql.AnalysisException", ex.ErrorReason);
        Assert.Equal(13, ex.GrpcStatus);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_SqlErrorWithUndecodableDetails_StillReportsMessage()
    {
        const string sql = "INSERT OVERWRITE DIRECTORY 's3a://b/x' USING json SELECT 1";
        server.When(sql, call =>
        {
            call.Finish(13, "Path%20does%20not%20exist", detailsBin: "!!not base64!!");
            return Task.CompletedTask;
        });
        using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync(sql, CancellationToken.None));

        Assert.Equal($"Spark SQL error from 127.0.0.1:{server.PlaintextPort} (INTERNAL): Path does not exist", ex.Message);
        Assert.Null(ex.ErrorReason);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_StreamResetMidway_ThrowsStreamCut()
    {
        const string sql = "SELECT j FROM cut_reset";
        // HttpClient drops data still buffered when a reset arrives, so the cut waits until the
        // client has the first row: the test then proves rows before the cut were streamed out.
        var clientHasFirstRow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.Batch(call.SessionId, "before the cut"));
            await clientHasFirstRow.Task.WaitAsync(TestTimeout);
            var frame = FakeCall.Frame(SparkResponses.Batch(call.SessionId, "never seen"));
            await call.WriteBytesAsync(frame.AsMemory(0, frame.Length / 2));
            call.Cut();
        });
        using var client = CreateSut();
        var seen = new List<string?>();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(async () =>
        {
            await foreach (var row in client.QuerySingleStringColumnAsync(sql, CancellationToken.None))
            {
                seen.Add(row);
                clientHasFirstRow.TrySetResult();
            }
        });

        Assert.StartsWith($"Spark Connect ExecutePlan stream from 127.0.0.1:{server.PlaintextPort} was cut midway", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Equal(["before the cut"], seen);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_BodyEndsInsideAMessage_ThrowsStreamCut()
    {
        const string sql = "SELECT j FROM cut_clean";
        server.When(sql, async call =>
        {
            var frame = FakeCall.Frame(SparkResponses.Batch(call.SessionId, "partial"));
            await call.WriteBytesAsync(frame.AsMemory(0, 20));
            call.Finish();
        });
        using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryAsync(client, sql));

        Assert.Matches(@"^Spark Connect ExecutePlan stream from 127\.0\.0\.1:\d+ was cut midway: a message of \d+ bytes ended after 15\.$", ex.Message);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_NoGrpcStatus_ThrowsMissingStatus()
    {
        const string sql = "SELECT j FROM no_status";
        server.When(sql, call => call.WriteAsync(SparkResponses.Batch(call.SessionId, "x")));
        using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryAsync(client, sql));

        Assert.Equal($"Spark Connect ExecutePlan at 127.0.0.1:{server.PlaintextPort} ended without a grpc-status: the stream was cut or the server is not gRPC.", ex.Message);
    }

    [Theory]
    [InlineData(503, "answered HTTP 503 ServiceUnavailable (a proxy could not reach Spark).")]
    [InlineData(401, "answered HTTP 401 Unauthorized (authentication failed: check the token).")]
    public async Task ExecuteSqlCommandAsync_NonOkHttpStatus_ThrowsNamingTheStatus(int status, string expected)
    {
        var sql = $"SET http_status={status}";
        server.When(sql, call =>
        {
            call.Context.Response.StatusCode = status;
            return Task.CompletedTask;
        });
        using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync(sql, CancellationToken.None));

        Assert.Equal($"Spark Connect ExecutePlan at 127.0.0.1:{server.PlaintextPort} {expected}", ex.Message);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_NotGrpcContentType_Throws()
    {
        const string sql = "SET html=1";
        server.When(sql, async call =>
        {
            call.Context.Response.ContentType = "text/html";
            await call.WriteBytesAsync("<html>login</html>"u8.ToArray());
        });
        using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync(sql, CancellationToken.None));

        Assert.Equal($"Spark Connect ExecutePlan at 127.0.0.1:{server.PlaintextPort} answered with content-type 'text/html', not a gRPC response.", ex.Message);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_CompressedMessage_Throws()
    {
        const string sql = "SELECT j FROM compressed";
        server.When(sql, async call =>
        {
            var frame = FakeCall.Frame(SparkResponses.Batch(call.SessionId, "x"));
            frame[0] = 1;
            await call.WriteBytesAsync(frame);
            call.Finish();
        });
        using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryAsync(client, sql));

        Assert.Contains("sent a compressed gRPC message", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_RowCountDisagreesWithArrow_Throws()
    {
        const string sql = "SELECT j FROM wrong_count";
        server.When(sql, async call =>
        {
            var response = SparkResponses.Batch(call.SessionId, "a", "b");
            response.ArrowBatch.RowCount = 5;
            await call.WriteAsync(response);
            call.Finish();
        });
        using var client = CreateSut();

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryAsync(client, sql));

        Assert.Equal("Malformed Arrow IPC stream from Spark: decoded 2 rows but the batch declares row_count=5.", ex.Message);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_MessageOverMaxSize_Throws()
    {
        const string sql = "SELECT j FROM too_big";
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.Batch(call.SessionId, new string('x', 4096)));
            call.Finish();
        });
        using var client = CreateSut(";grpc_max_message_size=1024");

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => QueryAsync(client, sql));

        Assert.Contains("more than grpc_max_message_size=1024", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_Cancelled_StopsAndResetsTheServerStream()
    {
        const string sql = "SELECT j FROM endless";
        var serverSawAbort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.When(sql, async call =>
        {
            await call.WriteAsync(SparkResponses.Batch(call.SessionId, "first"));
            // Holds the stream open like a long-running Spark job until the client goes away.
            using var registration = call.Context.RequestAborted.Register(serverSawAbort.SetResult);
            await serverSawAbort.Task;
        });
        using var client = CreateSut();
        using var cancellation = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var row in client.QuerySingleStringColumnAsync(sql, cancellation.Token))
            {
                Assert.Equal("first", row);
                await cancellation.CancelAsync();
            }
        });

        await serverSawAbort.Task.WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task GetSparkVersionAsync_Server_ReturnsVersionFromAnalyzePlan()
    {
        server.When(FakeSparkConnectServer.VersionScriptKey, async call =>
        {
            await call.WriteAsync(new AnalyzePlanResponse
            {
                SessionId = call.SessionId,
                SparkVersion = new AnalyzePlanResponse.Types.SparkVersion { Version = "3.5.3" },
            });
            call.Finish();
        });
        using var client = CreateSut();

        var version = await client.GetSparkVersionAsync(CancellationToken.None).WaitAsync(TestTimeout);

        Assert.Equal("3.5.3", version);
        Assert.Contains(server.ReceivedFor(FakeSparkConnectServer.VersionScriptKey), r => r.SessionId == client.SessionId);
    }

    [Fact]
    public async Task QuerySingleStringColumnAsync_TokenOverTls_SendsBearerTokenOverHttp2WithTls()
    {
        const string sql = "SELECT j FROM over_tls";
        server.When(sql, async call =>
        {
            var scheme = call.Context.Request.IsHttps ? "tls" : "plaintext";
            await call.WriteAsync(SparkResponses.Batch(call.SessionId, scheme));
            call.Finish();
        });
        var connection = SparkConnectionString.Parse($"sc://127.0.0.1:{server.TlsPort}/;token=s3cr3t");
        var thumbprint = server.Certificate.Thumbprint;
        using var client = new SparkConnectClient(connection, handler =>
        {
            // Loopback only: never through an HTTPS_PROXY the machine may define.
            handler.UseProxy = false;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint;
        });

        var rows = await QueryAsync(client, sql);

        Assert.Equal(["tls"], rows);
        var request = Assert.Single(server.ReceivedFor(sql));
        Assert.Equal("Bearer s3cr3t", request.Headers["authorization"]);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_ClosedPort_ThrowsUnreachableNamingHostAndPort()
    {
        var port = GetClosedPort();
        using var client = new SparkConnectClient(SparkConnectionString.Parse($"sc://127.0.0.1:{port}"));

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync("SET x=1", CancellationToken.None));

        Assert.StartsWith($"Spark Connect server unreachable at 127.0.0.1:{port}: ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_TlsAgainstPlaintextServer_ThrowsTlsFailureWithHint()
    {
        using var client = new SparkConnectClient(SparkConnectionString.Parse($"sc://127.0.0.1:{server.PlaintextPort}/;use_ssl=true"), Direct);

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync("SET tls=1", CancellationToken.None));

        Assert.StartsWith($"TLS handshake with the Spark Connect server at 127.0.0.1:{server.PlaintextPort} failed: ", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("(use_ssl=true and token need TLS, which open-source Spark Connect only has behind a proxy).", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_UntrustedCertificate_ThrowsTlsFailure()
    {
        using var client = new SparkConnectClient(SparkConnectionString.Parse($"sc://127.0.0.1:{server.TlsPort}/;token=t"), Direct);

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync("SET tls=2", CancellationToken.None));

        Assert.StartsWith($"TLS handshake with the Spark Connect server at 127.0.0.1:{server.TlsPort} failed: The remote certificate is invalid", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteSqlCommandAsync_PlaintextAgainstTlsServer_ThrowsNamingTheEndpoint()
    {
        using var client = new SparkConnectClient(SparkConnectionString.Parse($"sc://127.0.0.1:{server.TlsPort}"));

        var ex = await Assert.ThrowsAsync<SparkConnectException>(() => client.ExecuteSqlCommandAsync("SET tls=3", CancellationToken.None));

        Assert.Contains($"127.0.0.1:{server.TlsPort}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    private SparkConnectClient CreateSut(string parameters = "") =>
        new(SparkConnectionString.Parse(server.PlaintextConnectionString + (parameters.Length == 0 ? string.Empty : "/" + parameters)));

    /// <summary>TLS tests stay on loopback even when the machine defines HTTPS_PROXY.</summary>
    private static void Direct(SocketsHttpHandler handler) => handler.UseProxy = false;

    private static async Task<List<string?>> QueryAsync(SparkConnectClient client, string sql)
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var rows = new List<string?>();
        await foreach (var row in client.QuerySingleStringColumnAsync(sql, timeout.Token))
            rows.Add(row);
        return rows;
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
