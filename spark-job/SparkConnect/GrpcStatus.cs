using System.Globalization;
using System.Net.Http.Headers;
using Google.Protobuf;
using KpiPipeline.SparkJob.SparkConnect.Protocol;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>A gRPC status as read from trailers (or from the headers of a trailers-only response).</summary>
internal readonly record struct GrpcStatus(int Code, string? Message, string? ErrorReason)
{
    private const string ErrorInfoTypeUrlSuffix = "/google.rpc.ErrorInfo";

    public static bool TryRead(HttpHeaders headers, out GrpcStatus status)
    {
        status = default;
        if (!headers.TryGetValues("grpc-status", out var codes))
            return false;

        var codeText = codes.FirstOrDefault();
        // An unparsable status is reported as UNKNOWN, as the gRPC spec tells clients to do.
        var code = int.TryParse(codeText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 2;
        var message = headers.TryGetValues("grpc-message", out var messages) ? DecodeMessage(messages.FirstOrDefault()) : null;
        var reason = headers.TryGetValues("grpc-status-details-bin", out var details) ? DecodeReason(details.FirstOrDefault()) : null;
        status = new GrpcStatus(code, message, reason);
        return true;
    }

    public void ThrowIfError(string endpoint, string method)
    {
        if (Code != 0)
            throw SparkConnectErrors.ServerStatus(endpoint, method, Code, Message, ErrorReason);
    }

    /// <summary>grpc-message is percent-encoded UTF-8 (every byte outside 0x20–0x7E, and '%').</summary>
    internal static string? DecodeMessage(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return value;
        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            // A message that cannot be decoded is still better shown raw than dropped.
            return value;
        }
    }

    /// <summary>
    /// The ErrorInfo reason (the Spark exception class) from grpc-status-details-bin, a base64
    /// google.rpc.Status; null if absent or not decodable, since the message alone still names the error.
    /// </summary>
    internal static string? DecodeReason(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        try
        {
            // gRPC sends -bin headers as unpadded base64.
            var padded = value.Trim().PadRight(value.Trim().Length + ((4 - (value.Trim().Length % 4)) % 4), '=');
            var rpcStatus = RpcStatus.Parser.ParseFrom(Convert.FromBase64String(padded));
            foreach (var detail in rpcStatus.Details)
            {
                if (detail.TypeUrl.EndsWith(ErrorInfoTypeUrlSuffix, StringComparison.Ordinal))
                {
                    var reason = RpcErrorInfo.Parser.ParseFrom(detail.Value).Reason;
                    return reason.Length == 0 ? null : reason;
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is FormatException or InvalidProtocolBufferException)
        {
            return null;
        }
    }
}
