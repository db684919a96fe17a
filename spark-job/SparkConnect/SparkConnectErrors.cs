using System.Globalization;
using System.Net;
using System.Text;

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

    public static SparkConnectException Unreachable(string endpoint, Exception inner) =>
        new($"Spark Connect server unreachable at {endpoint}: {OneLine(inner.Message)}", inner);

    public static SparkConnectException TlsFailed(string endpoint, Exception inner) =>
        new($"TLS handshake with the Spark Connect server at {endpoint} failed: {OneLine(Innermost(inner).Message).TrimEnd('.')} (use_ssl=true and token need TLS, which open-source Spark Connect only has behind a proxy).", inner);

    public static SparkConnectException NotHttp2(string endpoint, bool useSsl, Exception inner) =>
        new($"The server at {endpoint} did not answer gRPC over HTTP/2{(useSsl ? string.Empty : " without TLS")} (wrong port, or does it need use_ssl=true?): {OneLine(inner.Message)}", inner);

    public static SparkConnectException ConnectTimeout(string endpoint, TimeSpan timeout, Exception inner) =>
        new($"Spark Connect server unreachable at {endpoint}: no connection within {timeout.TotalSeconds:0} s.", inner);

    public static SparkConnectException HttpStatus(string endpoint, string method, HttpStatusCode status)
    {
        var hint = status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => " (authentication failed: check the token)",
            HttpStatusCode.UnsupportedMediaType => " (the endpoint does not speak gRPC)",
            HttpStatusCode.NotFound => " (no Spark Connect service at this address)",
            HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => " (a proxy could not reach Spark)",
            _ => string.Empty,
        };
        return new($"Spark Connect {method} at {endpoint} answered HTTP {(int)status} {status}{hint}.");
    }

    public static SparkConnectException NotGrpc(string endpoint, string method, string? contentType) =>
        new($"Spark Connect {method} at {endpoint} answered with content-type '{contentType ?? "(none)"}', not a gRPC response.");

    public static SparkConnectException MissingStatus(string endpoint, string method) =>
        new($"Spark Connect {method} at {endpoint} ended without a grpc-status: the stream was cut or the server is not gRPC.");

    public static SparkConnectException StreamCut(string endpoint, string method, Exception inner) =>
        new($"Spark Connect {method} stream from {endpoint} was cut midway: {OneLine(inner.Message)}", inner);

    public static SparkConnectException StreamCut(string endpoint, string method, long expected, long received) =>
        new($"Spark Connect {method} stream from {endpoint} was cut midway: a message of {expected} bytes ended after {received}.");

    public static SparkConnectException CompressedMessage(string endpoint, string method) =>
        new($"Spark Connect {method} at {endpoint} sent a compressed gRPC message, which this client never asks for.");

    public static SparkConnectException InvalidFrameFlag(string endpoint, string method, byte flag) =>
        new($"Spark Connect {method} at {endpoint} sent a gRPC message with invalid flag byte 0x{flag:x2}.");

    public static SparkConnectException MessageTooLarge(string endpoint, string method, long length, int max) =>
        new($"Spark Connect {method} at {endpoint} sent a {length}-byte message, more than grpc_max_message_size={max}.");

    public static SparkConnectException BadProtobuf(string endpoint, string method, Exception inner) =>
        new($"Spark Connect {method} at {endpoint} sent a message that does not decode: {OneLine(inner.Message)}", inner);

    public static SparkConnectException UnexpectedReply(string endpoint, string method, string what) =>
        new($"Spark Connect {method} at {endpoint}: {what}.");

    public static SparkConnectException ServerStatus(string endpoint, string method, int code, string? serverMessage, string? reason)
    {
        var text = serverMessage is { Length: > 0 } ? OneLine(serverMessage) : "(no message)";
        var name = StatusName(code);
        var message = code switch
        {
            16 => $"Spark Connect authentication failed at {endpoint} (UNAUTHENTICATED): {text} (check the token parameter)",
            7 => $"Spark Connect permission denied at {endpoint} (PERMISSION_DENIED): {text}",
            14 => $"Spark Connect server unavailable at {endpoint} (UNAVAILABLE): {text}",
            13 or 2 => $"Spark SQL error{(reason is null ? string.Empty : $" [{reason}]")} from {endpoint} ({name}): {text}",
            _ => $"Spark Connect {method} at {endpoint} failed with {name} ({code.ToString(CultureInfo.InvariantCulture)}){(reason is null ? string.Empty : $" [{reason}]")}: {text}",
        };
        return new(message, code, serverMessage, reason);
    }

    public static SparkConnectException ArrowMalformed(string what) =>
        new($"Malformed Arrow IPC stream from Spark: {what}.");

    public static SparkConnectException ArrowUnsupported(string what) =>
        new($"Unsupported Arrow result from Spark: {what}; this client reads exactly one Utf8 or LargeUtf8 column (e.g. SELECT to_json(struct(*)) AS j ...).");

    public static SparkConnectException BadKpiRow(string grain, string what, string? row)
    {
        var shown = row is null ? "NULL" : row.Length <= 200 ? row : row[..200] + "…";
        return new($"Spark {grain} KPI query returned an unexpected row: {what}: {OneLine(shown)}");
    }

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
