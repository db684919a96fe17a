using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using KpiPipeline.SparkJob.SparkConnect.Protocol;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// A Spark Connect client on Grpc.Net.Client: SQL statements, and queries whose Arrow results are read as
/// typed rows. One instance is one server session (session id + user id), so temp views and <c>SET</c> values
/// made by one call are seen by the next. Executions are reattachable: a stream the server ends early, or
/// one that breaks, is continued with ReattachExecute, and every execution is released afterwards with
/// ReleaseExecute. Disposing releases the session it created. Thread-safe; calls may run concurrently.
/// </summary>
public sealed partial class SparkConnectClient : IAsyncDisposable
{
    public const string DefaultClientType = "kpi-pipeline-dotnet/1.0";

    private readonly GrpcChannel _channel;
    private readonly Protocol.SparkConnectService.SparkConnectServiceClient _service;
    private readonly Metadata _headers;
    private readonly UserContext _userContext;
    private readonly bool _ownsSession;
    private string? _serverSideSessionId;
    private int _used;
    private int _disposed;

    public SparkConnectClient(SparkConnectionString connection, SparkConnectClientOptions? options = null)
        : this(connection, options, configureHandler: null)
    {
    }

    /// <param name="configureHandler">Tests only: e.g. trust a self-signed loopback certificate.</param>
    internal SparkConnectClient(SparkConnectionString connection, SparkConnectClientOptions? options, Action<SocketsHttpHandler>? configureHandler)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
        Options = options ?? new SparkConnectClientOptions();
        _ownsSession = connection.SessionId is null;
        SessionId = (connection.SessionId ?? Guid.NewGuid()).ToString("D");
        // Like PySpark (USER) and the Scala client (user.name): the session is keyed by user and session id.
        UserId = connection.UserId ?? (string.IsNullOrEmpty(Environment.UserName) ? "kpi-pipeline" : Environment.UserName);
        _userContext = new UserContext { UserId = UserId, UserName = UserId };
        ClientType = connection.UserAgent ?? DefaultClientType;
        Endpoint = $"{(connection.Host.Contains(':', StringComparison.Ordinal) ? $"[{connection.Host}]" : connection.Host)}:{connection.Port.ToString(CultureInfo.InvariantCulture)}";

        _headers = [];
        if (connection.Token is { } token)
            _headers.Add("authorization", $"Bearer {token}");
        foreach (var (name, value) in connection.Headers)
            _headers.Add(name, value);

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = Options.ConnectTimeout,
            // Several concurrent streams (e.g. parallel KPI queries) must not queue behind the
            // server's SETTINGS_MAX_CONCURRENT_STREAMS on a single connection.
            EnableMultipleHttp2Connections = true,
            AutomaticDecompression = DecompressionMethods.None,
            // Prior-knowledge h2c cannot pass through an HTTP proxy (it would forward HTTP/1.1), so a
            // plaintext endpoint is always reached directly; TLS may tunnel through HTTPS_PROXY (CONNECT).
            UseProxy = connection.UseSsl,
        };
        configureHandler?.Invoke(handler);
        _channel = GrpcChannel.ForAddress(connection.Endpoint, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = connection.MaxMessageSize,
            // Reattach is this client's retry; gRPC's own would replay whole executions.
            MaxRetryAttempts = 0,
        });
        _service = new Protocol.SparkConnectService.SparkConnectServiceClient(_channel);
    }

    public SparkConnectionString Connection { get; }

    public SparkConnectClientOptions Options { get; }

    /// <summary>The server session this client uses (from session_id, else a new random UUID).</summary>
    public string SessionId { get; }

    public string UserId { get; }

    /// <summary>host:port, for messages.</summary>
    public string Endpoint { get; }

    internal string ClientType { get; }

    /// <summary>
    /// Runs a statement (CREATE TEMP VIEW, SET, INSERT OVERWRITE DIRECTORY, ...) as a <c>SqlCommand</c> and waits
    /// for it to finish. Spark executes commands eagerly; a plain SELECT sent here is only analysed, not run: use
    /// <see cref="QueryAsync{T}"/> for those.
    /// </summary>
    public async Task ExecuteSqlCommandAsync(string sql, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        var plan = new Plan { Command = new Command { SqlCommand = new SqlCommand { Sql = sql } } };
        // Draining is the point: the status (and so any SQL error) only arrives after the last message.
        await foreach (var _ in ExecutePlanAsync(plan, cancellationToken).ConfigureAwait(false))
        {
        }
    }

    /// <summary>
    /// Runs a query and maps each result row, as it arrives batch by batch, with <paramref name="map"/>; the
    /// row's typed getters read the Arrow columns Spark sent (decimal, long, double, string, date, timestamp, boolean).
    /// </summary>
    public async IAsyncEnumerable<T> QueryAsync<T>(string sql, Func<SparkRow, T> map, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        ArgumentNullException.ThrowIfNull(map);
        var plan = new Plan { Root = new Relation { Sql = new SQL { Query = sql } } };
        await foreach (var response in ExecutePlanAsync(plan, cancellationToken).ConfigureAwait(false))
        {
            if (response.ResponseTypeCase != ExecutePlanResponse.ResponseTypeOneofCase.ArrowBatch)
                continue; // schema, metrics, progress, ... carry no rows
            foreach (var batch in SparkArrow.ReadBatches(response.ArrowBatch))
            {
                using (batch)
                {
                    for (var row = 0; row < batch.Length; row++)
                        yield return map(new SparkRow(batch, row));
                }
            }
        }
    }

    /// <summary>The server's Spark version (AnalyzePlan spark_version): a cheap connectivity check.</summary>
    public async Task<string> GetSparkVersionAsync(CancellationToken cancellationToken)
    {
        const string method = "AnalyzePlan";
        var request = new AnalyzePlanRequest
        {
            SessionId = SessionId,
            UserContext = _userContext,
            ClientType = ClientType,
            SparkVersion = new AnalyzePlanRequest.Types.SparkVersion(),
        };
        if (_serverSideSessionId is { } observed)
            request.ClientObservedServerSideSessionId = observed;
        MarkUsed();
        AnalyzePlanResponse response;
        try
        {
            response = await _service.AnalyzePlanAsync(request, ControlCallOptions(cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Error(ex, method, Options.ControlCallTimeout, cancellationToken);
        }

        ObserveServerSession(response.ServerSideSessionId);
        return response.ResultCase == AnalyzePlanResponse.ResultOneofCase.SparkVersion
            ? response.SparkVersion.Version
            : throw SparkConnectErrors.UnexpectedReply(Endpoint, method, "the response carries no spark_version");
    }

    /// <summary>Releases the server session this client created (best effort), then closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        // A session named in the connection string belongs to whoever made it; one that was never used does not exist.
        if (_ownsSession && Volatile.Read(ref _used) != 0)
            await ReleaseSessionAsync().ConfigureAwait(false);
        _channel.Dispose();
    }

    /// <summary>One reattachable execution's responses in order (ResultComplete consumed); ends after it, throws otherwise.</summary>
    internal async IAsyncEnumerable<ExecutePlanResponse> ExecutePlanAsync(Plan plan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var request = new ExecutePlanRequest
        {
            SessionId = SessionId,
            UserContext = _userContext,
            Plan = plan,
            ClientType = ClientType,
            // Fresh per request: it names this execution for ReattachExecute, ReleaseExecute and the Spark UI.
            OperationId = Guid.NewGuid().ToString("D"),
            RequestOptions = { new ExecutePlanRequest.Types.RequestOption { ReattachOptions = new ReattachOptions { Reattachable = true } } },
        };
        if (_serverSideSessionId is { } observed)
            request.ClientObservedServerSideSessionId = observed;
        MarkUsed();

        var execution = new ReattachableExecution(this, request, cancellationToken);
        try
        {
            while (await execution.MoveNextAsync().ConfigureAwait(false))
                yield return execution.Current;
        }
        finally
        {
            await execution.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal AsyncServerStreamingCall<ExecutePlanResponse> StartExecute(ExecutePlanRequest request, DateTime? deadline, CancellationToken cancellationToken) =>
        _service.ExecutePlan(request, new CallOptions(_headers, deadline, cancellationToken));

    internal AsyncServerStreamingCall<ExecutePlanResponse> StartReattach(string operationId, string? lastResponseId, DateTime? deadline, CancellationToken cancellationToken)
    {
        var request = new ReattachExecuteRequest
        {
            SessionId = SessionId,
            UserContext = _userContext,
            OperationId = operationId,
            ClientType = ClientType,
        };
        if (lastResponseId is not null)
            request.LastResponseId = lastResponseId;
        if (_serverSideSessionId is { } observed)
            request.ClientObservedServerSideSessionId = observed;
        return _service.ReattachExecute(request, new CallOptions(_headers, deadline, cancellationToken));
    }

    /// <summary>
    /// Frees an execution on the server: its buffered responses, and the query itself if it still runs (after a
    /// cancellation or a failure). Best effort with its own deadline: the caller's token may already be cancelled.
    /// </summary>
    internal async Task ReleaseExecuteAsync(string operationId)
    {
        var request = new ReleaseExecuteRequest
        {
            SessionId = SessionId,
            UserContext = _userContext,
            OperationId = operationId,
            ClientType = ClientType,
            ReleaseAll = new ReleaseExecuteRequest.Types.ReleaseAll(),
        };
        if (_serverSideSessionId is { } observed)
            request.ClientObservedServerSideSessionId = observed;
        try
        {
            await _service.ReleaseExecuteAsync(request, ControlCallOptions(CancellationToken.None)).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            // The server frees abandoned executions itself after a while; nothing to do but say so.
            LogReleaseExecuteFailed(Options.Logger, operationId, Endpoint, Error(ex, "ReleaseExecute", Options.ControlCallTimeout, CancellationToken.None).Message);
        }
    }

    /// <summary>The deadline of an operation started now, from <see cref="SparkConnectClientOptions.OperationTimeout"/>.</summary>
    internal DateTime? OperationDeadline() =>
        Options.OperationTimeout is { } timeout ? Options.TimeProvider.GetUtcNow().UtcDateTime + timeout : null;

    /// <summary>
    /// The exception to throw for a failed call: <see cref="OperationCanceledException"/> when the caller cancelled
    /// (Grpc.Net.Client reports that as a CANCELLED status), else the one-line <see cref="SparkConnectException"/>.
    /// </summary>
    internal Exception Error(RpcException exception, string method, TimeSpan? timeout, CancellationToken cancellationToken) =>
        exception.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested
            ? new OperationCanceledException($"Spark Connect {method} was cancelled.", exception, cancellationToken)
            : SparkConnectErrors.FromRpc(exception, Endpoint, method, Connection.UseSsl, timeout);

    internal void ObserveServerSession(string serverSideSessionId)
    {
        // Spark 4 names its session incarnation; echoing it back makes a restarted server refuse our requests
        // instead of running them in a fresh session without our temp views.
        if (serverSideSessionId.Length > 0)
            Interlocked.CompareExchange(ref _serverSideSessionId, serverSideSessionId, null);
    }

    private async Task ReleaseSessionAsync()
    {
        var request = new ReleaseSessionRequest { SessionId = SessionId, UserContext = _userContext, ClientType = ClientType };
        try
        {
            await _service.ReleaseSessionAsync(request, ControlCallOptions(CancellationToken.None)).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            // Spark 3.5 has no ReleaseSession (UNIMPLEMENTED); its sessions expire when idle.
            LogReleaseSessionFailed(Options.Logger, SessionId, Endpoint, Error(ex, "ReleaseSession", Options.ControlCallTimeout, CancellationToken.None).Message);
        }
    }

    private CallOptions ControlCallOptions(CancellationToken cancellationToken) =>
        new(_headers, Options.TimeProvider.GetUtcNow().UtcDateTime + Options.ControlCallTimeout, cancellationToken);

    private void MarkUsed() => Volatile.Write(ref _used, 1);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Could not release Spark Connect execution {OperationId} at {Endpoint}: {Reason}")]
    private static partial void LogReleaseExecuteFailed(ILogger logger, string operationId, string endpoint, string reason);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Could not release Spark Connect session {SessionId} at {Endpoint}: {Reason}")]
    private static partial void LogReleaseSessionFailed(ILogger logger, string sessionId, string endpoint, string reason);
}
