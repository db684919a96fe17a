using System.Text.Json;
using System.Text.Json.Serialization;

namespace KpiPipeline.Lambda.Runtime;

/// <summary>
/// Lambda's error document (<c>application/vnd.aws.lambda.error+json</c>), posted to <c>/invocation/{id}/error</c>
/// and <c>/init/error</c>. <see cref="ErrorType"/> also goes into the <c>Lambda-Runtime-Function-Error-Type</c>
/// header; callers such as Step Functions see it as the error name.
/// </summary>
public sealed record ErrorReport(
    [property: JsonPropertyName("errorMessage")] string ErrorMessage,
    [property: JsonPropertyName("errorType")] string ErrorType,
    [property: JsonPropertyName("stackTrace")] IReadOnlyList<string> StackTrace)
{
    public const string ContentType = "application/vnd.aws.lambda.error+json";

    /// <summary>The exception's type name (as the managed runtime reports it) and its own stack frames.</summary>
    public static ErrorReport From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var frames = exception.StackTrace is { } trace
            ? trace.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
        return new ErrorReport(exception.Message, exception.GetType().Name, frames);
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this);
}
