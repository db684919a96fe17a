using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.Runtime.Signing;
using KpiPipeline.Lake;

namespace KpiPipeline.Batching;

/// <summary>
/// <c>StartExecution</c> over HttpClient, the one Step Functions call the pipeline makes: Step Functions'
/// JSON 1.0 protocol, signed by AWSSDK.Core's <see cref="SigV4SigningHandler"/>.
/// </summary>
public sealed class StepFunctionsStarter(HttpClient http, Uri endpoint, string stateMachineArn) : IExecutionStarter
{
    public const string Target = "AWSStepFunctions.StartExecution";
    public const string ContentType = "application/x-amz-json-1.0";
    public const string SigningName = "states";

    /// <summary>Where the Lambda runtime keeps the current invocation's X-Ray trace header.</summary>
    public const string TraceHeaderVariable = "_X_AMZN_TRACE_ID";

    private static readonly ExecutionInputJsonContext Json = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public Uri Endpoint => endpoint;

    /// <summary>
    /// The starter for <paramref name="stateMachineArn"/>: credentials from the SDK's default chain, the
    /// region from the ARN (else the SDK's region), the endpoint from <c>AWS_ENDPOINT_URL_SFN</c> /
    /// <c>AWS_ENDPOINT_URL</c> (else the regional endpoint).
    /// </summary>
    public static StepFunctionsStarter Create(string stateMachineArn, AWSCredentials? credentials = null)
    {
        var region = RegionOf(stateMachineArn) ?? FallbackRegionFactory.GetRegionEndpoint()
            ?? throw new InvalidOperationException($"No region for Step Functions: STATE_MACHINE_ARN '{stateMachineArn}' names none and AWS_REGION is not set.");
        credentials ??= DefaultAWSCredentialsIdentityResolver.GetCredentials(null);
        var endpoint = AwsClients.EndpointOverride("SFN") ?? new Uri($"https://states.{region.SystemName}.amazonaws.com/");
        var http = new HttpClient(new SigV4SigningHandler(credentials, region, SigningName, new SocketsHttpHandler()))
        {
            // The caller's token (derived from the invocation's budget) bounds the call instead.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        return new StepFunctionsStarter(http, endpoint, stateMachineArn);
    }

    public async Task<ExecutionStart> StartAsync(BatchExecutionInput input, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["stateMachineArn"] = stateMachineArn,
            ["name"] = input.ExecutionName,
            // Step Functions takes the input as a JSON string inside the JSON body.
            ["input"] = JsonSerializer.Serialize(input, Json.BatchExecutionInput),
        };
        // Inside a traced Lambda invocation the runtime sets the X-Ray trace header here; passing it on
        // puts the execution into the same trace as the event that started it.
        if (Environment.GetEnvironmentVariable(TraceHeaderVariable) is { Length: > 0 } traceHeader)
            body["traceHeader"] = traceHeader;
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ToJsonString(Json.Options))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", Target);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
            return new ExecutionStart(input.ExecutionName, ReadString(text, "executionArn"), AlreadyExisted: false);

        var errorType = ErrorType(response, text);
        // Same name (and input) again: the start this call was meant to make has happened.
        if (errorType == "ExecutionAlreadyExists")
            return new ExecutionStart(input.ExecutionName, null, AlreadyExisted: true);
        throw new StepFunctionsException(
            $"StartExecution of '{input.ExecutionName}' on {stateMachineArn} at {endpoint} failed: HTTP {(int)response.StatusCode} {errorType ?? "(no error type)"}: {ReadString(text, "message") ?? ReadString(text, "Message") ?? Truncate(text)}",
            errorType);
    }

    /// <summary><c>arn:aws:states:&lt;region&gt;:&lt;account&gt;:stateMachine:&lt;name&gt;</c> names its region.</summary>
    public static RegionEndpoint? RegionOf(string stateMachineArn)
    {
        var parts = stateMachineArn.Split(':');
        return parts.Length >= 6 && parts[0] == "arn" && parts[2] == "states" && parts[3].Length > 0
            ? RegionEndpoint.GetBySystemName(parts[3])
            : null;
    }

    /// <summary>The error's short name: <c>x-amzn-ErrorType</c> or the body's <c>__type</c>, without the namespace before '#'.</summary>
    private static string? ErrorType(HttpResponseMessage response, string body)
    {
        var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
        type ??= ReadString(body, "__type");
        if (type is null)
            return null;
        type = type.Split(':')[0];
        var hash = type.LastIndexOf('#');
        return hash >= 0 ? type[(hash + 1)..] : type;
    }

    private static string? ReadString(string json, string property)
    {
        try
        {
            return JsonNode.Parse(json) is JsonObject obj && obj[property] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "...";
}

/// <summary>Step Functions refused a start for a reason other than the name being taken.</summary>
public sealed class StepFunctionsException(string message, string? errorType) : Exception(message)
{
    public string? ErrorType { get; } = errorType;
}

/// <summary>Source-generated (no reflection at run time, Native AOT).</summary>
[JsonSerializable(typeof(BatchExecutionInput))]
internal sealed partial class ExecutionInputJsonContext : JsonSerializerContext;
