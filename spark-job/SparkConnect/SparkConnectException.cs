namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// A Spark Connect call failed. <see cref="Exception.Message"/> is one line naming the cause
/// (unreachable server, authentication, the server's SQL error, a cut stream, a malformed reply).
/// </summary>
public sealed class SparkConnectException : Exception
{
    public SparkConnectException(string message)
        : base(message)
    {
    }

    public SparkConnectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal SparkConnectException(string message, int grpcStatus, string? serverMessage, string? errorReason, Exception? innerException)
        : base(message, innerException)
    {
        GrpcStatus = grpcStatus;
        ServerMessage = serverMessage;
        ErrorReason = errorReason;
    }

    /// <summary>The gRPC status code the server returned, when the failure came from the server.</summary>
    public int? GrpcStatus { get; }

    /// <summary>The server's full (decoded, possibly multi-line) grpc-message.</summary>
    public string? ServerMessage { get; }

    /// <summary>ErrorInfo.reason from grpc-status-details-bin: the Spark exception class, when sent.</summary>
    public string? ErrorReason { get; }
}
