using System.Runtime.CompilerServices;
using Google.Protobuf;
using KpiPipeline.SparkJob.SparkConnect.Protocol;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// A minimal Spark Connect client: SQL statements, and queries whose result is one string column.
/// One instance is one server session (session id + user id), so temp views and <c>SET</c> values
/// made by one call are seen by the next. Thread-safe; calls may run concurrently.
/// </summary>
public sealed class SparkConnectClient : IDisposable
{
    public const string DefaultUserAgent = "kpi-pipeline-dotnet/1.0";

    private const string ExecutePlanMethod = "ExecutePlan";
    private const string AnalyzePlanMethod = "AnalyzePlan";

    private readonly GrpcHttpChannel _channel;
    private readonly UserContext _userContext;
    private readonly string _clientType;

    public SparkConnectClient(SparkConnectionString connection)
        : this(connection, configureHandler: null)
    {
    }

    /// <param name="configureHandler">Tests only: e.g. trust a self-signed loopback certificate.</param>
    internal SparkConnectClient(SparkConnectionString connection, Action<SocketsHttpHandler>? configureHandler)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
        SessionId = (connection.SessionId ?? Guid.NewGuid()).ToString("D");
        // Like PySpark (USER) and the Scala client (user.name): the session is keyed by user and session id.
        UserId = connection.UserId ?? (string.IsNullOrEmpty(Environment.UserName) ? "kpi-pipeline" : Environment.UserName);
        _userContext = new UserContext { UserId = UserId, UserName = UserId };
        _clientType = connection.UserAgent ?? DefaultUserAgent;
        _channel = new GrpcHttpChannel(connection, _clientType, configureHandler);
    }

    public SparkConnectionString Connection { get; }

    /// <summary>The server session this client uses (from session_id, else a new random UUID).</summary>
    public string SessionId { get; }

    public string UserId { get; }

    /// <summary>
    /// Runs a statement (CREATE TEMP VIEW, SET, INSERT OVERWRITE DIRECTORY, ...) as a
    /// <c>SqlCommand</c> and waits for it to finish. Spark executes commands eagerly; a plain SELECT
    /// sent here is only analysed, not run: use <see cref="QuerySingleStringColumnAsync"/> for those.
    /// </summary>
    public async Task ExecuteSqlCommandAsync(string sql, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        var plan = new Plan { Command = new Command { SqlCommand = new SqlCommand { Sql = sql } } };
        // Draining is the point: the status (and so any SQL error) only arrives after the last message.
        await foreach (var _ in ExecutePlanAsync(plan, cancellationToken))
        {
        }
    }

    /// <summary>
    /// Runs a query whose result is exactly one Utf8 column and streams its rows (null for SQL NULL)
    /// batch by batch. Shape wider results on the server, e.g. <c>SELECT to_json(struct(*)) AS j FROM (...)</c>.
    /// </summary>
    public async IAsyncEnumerable<string?> QuerySingleStringColumnAsync(string sql, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        var plan = new Plan { Root = new Relation { Sql = new SQL { Query = sql } } };
        await foreach (var response in ExecutePlanAsync(plan, cancellationToken))
        {
            if (response.ResponseTypeCase != ExecutePlanResponse.ResponseTypeOneofCase.ArrowBatch)
                continue; // schema, metrics, progress, ... carry no rows
            var batch = response.ArrowBatch;
            foreach (var row in ArrowStringColumnReader.Read(batch.Data.Span, batch.RowCount))
                yield return row;
        }
    }

    /// <summary>The server's Spark version (AnalyzePlan spark_version): a cheap connectivity check.</summary>
    public async Task<string> GetSparkVersionAsync(CancellationToken cancellationToken)
    {
        var request = new AnalyzePlanRequest
        {
            SessionId = SessionId,
            UserContext = _userContext,
            ClientType = _clientType,
            SparkVersion = new AnalyzePlanRequest.Types.SparkVersion(),
        };
        using var call = await _channel.StartCallAsync(AnalyzePlanMethod, request, cancellationToken);
        var first = await call.ReadMessageAsync(cancellationToken)
            ?? throw SparkConnectErrors.UnexpectedReply(_channel.Endpoint, AnalyzePlanMethod, "the call ended OK without a response message");
        var response = Parse(AnalyzePlanResponse.Parser, first, AnalyzePlanMethod);
        // Read to the end: the status in the trailers can still turn this into an error.
        if (await call.ReadMessageAsync(cancellationToken) is not null)
            throw SparkConnectErrors.UnexpectedReply(_channel.Endpoint, AnalyzePlanMethod, "a unary call answered more than one message");
        if (response.ResultCase != AnalyzePlanResponse.ResultOneofCase.SparkVersion)
            throw SparkConnectErrors.UnexpectedReply(_channel.Endpoint, AnalyzePlanMethod, "the response carries no spark_version");
        return response.SparkVersion.Version;
    }

    public void Dispose() => _channel.Dispose();

    /// <summary>One ExecutePlan call, its responses in order; ends after an OK status, throws otherwise.</summary>
    internal async IAsyncEnumerable<ExecutePlanResponse> ExecutePlanAsync(Plan plan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ExecutePlanRequest
        {
            SessionId = SessionId,
            UserContext = _userContext,
            Plan = plan,
            ClientType = _clientType,
            // Fresh per request: it names this execution in server logs and the Spark UI.
            OperationId = Guid.NewGuid().ToString("D"),
        };

        using var call = await _channel.StartCallAsync(ExecutePlanMethod, request, cancellationToken);
        while (await call.ReadMessageAsync(cancellationToken) is { } payload)
            yield return Parse(ExecutePlanResponse.Parser, payload, ExecutePlanMethod);
    }

    private T Parse<T>(MessageParser<T> parser, byte[] payload, string method)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw SparkConnectErrors.BadProtobuf(_channel.Endpoint, method, ex);
        }
    }
}
