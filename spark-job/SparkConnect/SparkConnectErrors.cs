using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// Every failure message of the Spark Connect client, built in one place so they read alike:
/// one line, naming the endpoint or call and the cause.
/// </summary>
internal static class SparkConnectErrors
{
    // Spark messages can be long and multi-line (query context, stack excerpts); the first part is
    // what an operator needs in a log line, the whole text stays in ServerMessage.
    private const int MaxServerMessageLength = 1000;

    /// <summary>
    /// The one-line error for a failed call. Grpc.Net.Client reports transport failures as UNAVAILABLE or
    /// INTERNAL with the client-side exception attached (<see cref="Status.DebugException"/>); a status
    /// the server sent has none, and carries Spark's ErrorInfo in grpc-status-details-bin.
    /// </summary>
    public static SparkConnectException FromRpc(RpcException exception, string endpoint, string method, bool useSsl, TimeSpan? timeout)
    {
        var debug = exception.Status.DebugException;
        // A reset stream (RST_STREAM with an error code), whether before the response headers or while reading.
        if (Find<HttpProtocolException>(debug) is { } reset)
            return StreamCut(endpoint, method, reset);
        if (Find<HttpRequestException>(debug) is { } http)
        {
            return http.HttpRequestError switch
            {
                HttpRequestError.SecureConnectionError => TlsFailed(endpoint, http),
                HttpRequestError.HttpProtocolError or HttpRequestError.VersionNegotiationError or HttpRequestError.InvalidResponse
                    => NotHttp2(endpoint, useSsl, http),
                HttpRequestError.ResponseEnded => StreamCut(endpoint, method, http),
                _ when Find<TimeoutException>(http) is not null => ConnectTimeout(endpoint, http),
                _ => Unreachable(endpoint, http),
            };
        }

        // Grpc.Net.Client connects through its own subchannel: a refused or unroutable connection arrives bare.
        if (Find<SocketException>(debug) is { } socket)
            return Unreachable(endpoint, socket);
        if (Find<InvalidProtocolBufferException>(debug) is { } protobuf)
            return BadProtobuf(endpoint, method, protobuf);
        if (Find<IOException>(debug) is { } io)
            return StreamCut(endpoint, method, io);
        if (exception.StatusCode == StatusCode.DeadlineExceeded && debug is null or OperationCanceledException or TimeoutException)
            return DeadlineExceeded(endpoint, method, timeout, exception);
        if (exception.StatusCode == StatusCode.ResourceExhausted && exception.Status.Detail.Contains("maximum configured message size", StringComparison.Ordinal))
            return new($"Spark Connect {method} at {endpoint}: {OneLine(exception.Status.Detail)} (raise grpc_max_message_size in the connection string).", exception);

        return ServerStatus(endpoint, method, (int)exception.StatusCode, exception.Status.Detail, ErrorReason(exception), exception);
    }

    public static SparkConnectException Unreachable(string endpoint, Exception inner) =>
        new($"Spark Connect server unreachable at {endpoint}: {OneLine(inner.Message)}", inner);

    public static SparkConnectException TlsFailed(string endpoint, Exception inner) =>
        new($"TLS handshake with the Spark Connect server at {endpoint} failed: {OneLine(Innermost(inner).Message).TrimEnd('.')} (use_ssl=true and token need TLS, which open-source Spark Connect only has behind a proxy).", inner);

    public static SparkConnectException NotHttp2(string endpoint, bool useSsl, Exception inner) =>
        new($"The server at {endpoint} did not answer gRPC over HTTP/2{(useSsl ? string.Empty : " without TLS")} (wrong port, or does it need use_ssl=true?): {OneLine(Innermost(inner).Message)}", inner);

    public static SparkConnectException ConnectTimeout(string endpoint, Exception inner) =>
        new($"Spark Connect server unreachable at {endpoint}: no connection within the connect timeout ({OneLine(Innermost(inner).Message)}).", inner);

    public static SparkConnectException DeadlineExceeded(string endpoint, string method, TimeSpan? timeout, Exception inner) =>
        new($"Spark Connect {method} at {endpoint} did not finish within its deadline{(timeout is { } t ? $" of {t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s" : string.Empty)} (DEADLINE_EXCEEDED).", inner);

    public static SparkConnectException StreamCut(string endpoint, string method, Exception inner) =>
        new($"Spark Connect {method} stream from {endpoint} was cut midway: {OneLine(Innermost(inner).Message)}", inner);

    public static SparkConnectException BadProtobuf(string endpoint, string method, Exception inner) =>
        new($"Spark Connect {method} at {endpoint} sent a message that does not decode: {OneLine(inner.Message)}", inner);

    public static SparkConnectException UnexpectedReply(string endpoint, string method, string what) =>
        new($"Spark Connect {method} at {endpoint}: {what}.");

    public static SparkConnectException ServerStatus(string endpoint, string method, int code, string? serverMessage, string? reason, Exception? inner = null)
    {
        var text = serverMessage is { Length: > 0 } ? OneLine(serverMessage) : "(no message)";
        var name = StatusName(code);
        var message = code switch
        {
            16 => $"Spark Connect authentication failed at {endpoint} (UNAUTHENTICATED): {text} (check the token parameter)",
            7 => $"Spark Connect permission denied at {endpoint} (PERMISSION_DENIED): {text}",
            14 => $"Spark Connect server unavailable at {endpoint} (UNAVAILABLE): {text}",
            12 => $"Spark Connect {method} at {endpoint} is not implemented (UNIMPLEMENTED): {text} (not a Spark Connect server, or an older Spark)",
            13 or 2 => $"Spark SQL error{(reason is null ? string.Empty : $" [{reason}]")} from {endpoint} ({name}): {text}",
            _ => $"Spark Connect {method} at {endpoint} failed with {name} ({code.ToString(CultureInfo.InvariantCulture)}){(reason is null ? string.Empty : $" [{reason}]")}: {text}",
        };
        return new(message, code, serverMessage, reason, inner);
    }

    public static SparkConnectException ReattachGaveUp(string endpoint, string operationId, int streams) =>
        new($"Spark Connect execution {operationId} at {endpoint} ended {streams} streams in a row without a response or ResultComplete; giving up.");

    public static SparkConnectException ArrowMalformed(string what, Exception? inner = null) =>
        inner is null ? new($"Malformed Arrow IPC data from Spark: {what}.") : new($"Malformed Arrow IPC data from Spark: {what}: {OneLine(inner.Message)}", inner);

    public static SparkConnectException MissingColumn(string column, IEnumerable<string> present) =>
        new($"Spark result has no column '{column}' (columns: {string.Join(", ", present)}).");

    public static SparkConnectException WrongColumnType(string column, string arrowType, string wanted) =>
        new($"Spark result column '{column}' is {arrowType}, which does not convert to {wanted}.");

    public static SparkConnectException NullValue(string column, int row) =>
        new($"Spark result column '{column}' is NULL in row {row.ToString(CultureInfo.InvariantCulture)}, where a value is required.");

    public static SparkConnectException ValueOutOfRange(string column, int row, string what, Exception? inner = null) =>
        new($"Spark result column '{column}' in row {row.ToString(CultureInfo.InvariantCulture)}: {what}.", inner ?? new OverflowException(what));

    public static SparkConnectException BadKpiRow(string grain, string what) =>
        new($"Spark {grain} KPI query returned an unexpected row: {what}");

    public static string StatusName(int code) => code switch
    {
        0 => "OK",
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "UNKNOWN_STATUS",
    };

    /// <summary>ErrorInfo.reason (the Spark exception class) from grpc-status-details-bin; null when absent or undecodable.</summary>
    private static string? ErrorReason(RpcException exception)
    {
        try
        {
            var reason = exception.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;
            return string.IsNullOrEmpty(reason) ? null : reason;
        }
        catch (InvalidProtocolBufferException)
        {
            // The message alone still names the error.
            return null;
        }
    }

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is T found)
                return found;
        }

        return null;
    }

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
            exception = exception.InnerException;
        return exception;
    }

    private static string OneLine(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxServerMessageLength + 1));
        var lastWasSpace = false;
        foreach (var c in text)
        {
            var isSpace = char.IsWhiteSpace(c) || char.IsControl(c);
            if (isSpace && (lastWasSpace || builder.Length == 0))
                continue;
            builder.Append(isSpace ? ' ' : c);
            lastWasSpace = isSpace;
            if (builder.Length > MaxServerMessageLength)
            {
                builder.Append('…');
                break;
            }
        }

        return builder.ToString().TrimEnd();
    }
}
