using System.Globalization;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// A parsed Spark Connect connection string: <c>sc://host[:port][/;key=value;...]</c>.
/// Parameter names are case-sensitive (as in Spark's client-connection-string.md); known ones are
/// <c>token</c>, <c>use_ssl</c>, <c>user_id</c>, <c>session_id</c>, <c>user_agent</c> and
/// <c>grpc_max_message_size</c>; any other parameter is sent as a gRPC metadata header on every call
/// (how PySpark passes e.g. <c>x-databricks-cluster-id</c>).
/// </summary>
public sealed record SparkConnectionString
{
    public const int DefaultPort = 15002;
    public const int DefaultMaxMessageSize = 128 * 1024 * 1024;

    private const string Scheme = "sc://";

    private SparkConnectionString(string host, int port)
    {
        Host = host;
        Port = port;
    }

    public string Host { get; }

    public int Port { get; }

    /// <summary>Bearer token; setting it implies TLS.</summary>
    public string? Token { get; private init; }

    public bool UseSsl { get; private init; }

    public string? UserId { get; private init; }

    /// <summary>An existing server session to reuse; a new random one is used when absent.</summary>
    public Guid? SessionId { get; private init; }

    public string? UserAgent { get; private init; }

    public int MaxMessageSize { get; private init; } = DefaultMaxMessageSize;

    /// <summary>Extra gRPC metadata headers (every unknown parameter), in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; private init; } = [];

    /// <summary>The HTTP/2 endpoint: http:// for plaintext (h2c), https:// with TLS.</summary>
    public Uri Endpoint => new UriBuilder(UseSsl ? Uri.UriSchemeHttps : Uri.UriSchemeHttp, Host, Port).Uri;

    /// <summary>Parses <paramref name="value"/>; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static SparkConnectionString Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.StartsWith(Scheme, StringComparison.Ordinal))
            throw Invalid("it must start with 'sc://'");

        var rest = value.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var pathAndParams = slash < 0 ? [] : rest[slash..];

        var (host, port) = ParseAuthority(authority);
        var result = new SparkConnectionString(host, port);

        if (pathAndParams.IsEmpty || pathAndParams is "/")
            return result;
        if (!pathAndParams.StartsWith("/;", StringComparison.Ordinal))
            throw Invalid($"'{pathAndParams.ToString()}' is not allowed after the host: a path is not supported, parameters follow '/;'");

        return ApplyParameters(result, pathAndParams[2..].ToString());
    }

    /// <summary>The parameter-free form, safe to log (never contains the token).</summary>
    public override string ToString() =>
        $"sc://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port.ToString(CultureInfo.InvariantCulture)}"
        + (UseSsl ? " (TLS)" : string.Empty)
        + (Token is null ? string.Empty : " (token)");

    private static (string Host, int Port) ParseAuthority(ReadOnlySpan<char> authority)
    {
        if (authority.IsEmpty)
            throw Invalid("the host is missing");

        ReadOnlySpan<char> host;
        ReadOnlySpan<char> portText;
        if (authority[0] == '[')
        {
            // IPv6 literal: sc://[::1]:15002
            var close = authority.IndexOf(']');
            if (close < 0)
                throw Invalid("the IPv6 host has no closing ']'");
            host = authority[1..close];
            var after = authority[(close + 1)..];
            if (!after.IsEmpty && after[0] != ':')
                throw Invalid($"unexpected '{after.ToString()}' after the IPv6 host");
            portText = after.IsEmpty ? [] : after[1..];
            if (after.IsEmpty)
                return (RequireHost(host), DefaultPort);
        }
        else
        {
            var colon = authority.IndexOf(':');
            if (colon < 0)
                return (RequireHost(authority), DefaultPort);
            host = authority[..colon];
            portText = authority[(colon + 1)..];
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw Invalid($"the port '{portText.ToString()}' is not a number from 1 to 65535");
        return (RequireHost(host), port);
    }

    private static string RequireHost(ReadOnlySpan<char> host)
    {
        if (host.IsEmpty)
            throw Invalid("the host is missing");
        if (host.ContainsAny(" @;/?#"))
            throw Invalid($"the host '{host.ToString()}' contains characters a host name cannot have");
        return host.ToString();
    }

    private static SparkConnectionString ApplyParameters(SparkConnectionString result, string parameters)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var headers = new List<KeyValuePair<string, string>>();
        bool? useSsl = null;

        foreach (var pair in parameters.Split(';'))
        {
            // A trailing ';' is harmless; an empty parameter in the middle is too.
            if (pair.Length == 0)
                continue;

            // Split at the first '=' only: tokens are often base64 and end in '='.
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw Invalid($"parameter '{pair}' is not of the form key=value");
            var key = pair[..eq];
            var value = pair[(eq + 1)..];
            if (!seen.Add(key))
                throw Invalid($"parameter '{key}' is given twice");
            if (value.Length == 0)
                throw Invalid($"parameter '{key}' has an empty value");

            switch (key)
            {
                case "token":
                    result = result with { Token = value };
                    break;
                case "use_ssl":
                    useSsl = value switch
                    {
                        "true" => true,
                        "false" => false,
                        _ => throw Invalid($"use_ssl must be 'true' or 'false', not '{value}'"),
                    };
                    break;
                case "user_id":
                    result = result with { UserId = value };
                    break;
                case "user_agent":
                    result = result with { UserAgent = value };
                    break;
                case "session_id":
                    // Spark 4 rejects non-UUID session ids (INVALID_HANDLE.FORMAT); fail here instead.
                    if (!Guid.TryParseExact(value, "D", out var sessionId))
                        throw Invalid($"session_id '{value}' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
                    result = result with { SessionId = sessionId };
                    break;
                case "grpc_max_message_size":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size < 1)
                        throw Invalid($"grpc_max_message_size '{value}' is not a positive number of bytes");
                    result = result with { MaxMessageSize = size };
                    break;
                default:
                    CheckHeaderName(key);
                    headers.Add(new(key, value));
                    break;
            }
        }

        // "Setting this value enables SSL": a bearer token never travels in clear text.
        if (result.Token is not null && useSsl == false)
            throw Invalid("token requires TLS, so use_ssl=false cannot be combined with it");

        return result with { UseSsl = useSsl == true || result.Token is not null, Headers = headers };
    }

    private static void CheckHeaderName(string key)
    {
        // gRPC metadata keys are lower-case; an upper-case name is far more likely a mistyped known
        // parameter (names are case-sensitive) than a header, so say so instead of sending it.
        foreach (var c in key)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.'))
                throw Invalid($"unknown parameter '{key}': names are case-sensitive, and a metadata header name may only hold a-z, 0-9, '-', '_', '.'");
        }

        if (key.StartsWith("grpc-", StringComparison.Ordinal) || key is "content-type" or "te" or "authorization" or "user-agent" or "host")
            throw Invalid($"parameter '{key}' would override a header the client sets itself");
    }

    private static FormatException Invalid(string reason) =>
        new($"Invalid Spark Connect connection string: {reason}.");
}
