using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda.Tests.Infrastructure;

/// <summary>
/// A loopback HTTP endpoint standing in for Step Functions' StartExecution. It checks what a signed
/// request must carry (target header, content type, the SigV4 Authorization header's shape, the body
/// and its input) and answers the way the service does: a name's first start succeeds, a repeat is
/// refused with ExecutionAlreadyExists. Anything wrong is kept in <see cref="Problems"/>.
/// </summary>
internal sealed partial class FakeStepFunctions : IAsyncDisposable
{
    public const string StateMachineArn = "arn:aws:states:us-east-1:000000000000:stateMachine:kpi-pipeline";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _executions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly ConcurrentQueue<string> _bodies = new();
    private int _requests;

    private FakeStepFunctions(WebApplication app)
    {
        _app = app;
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>Execution name → its input JSON, one entry per execution started.</summary>
    public IReadOnlyDictionary<string, string> Executions => _executions;

    public int Requests => Volatile.Read(ref _requests);

    public IReadOnlyCollection<string> Problems => _problems;

    /// <summary>Every request body as sent.</summary>
    public IReadOnlyCollection<string> Bodies => _bodies;

    /// <summary>When set, every request is answered with this error (type, HTTP status).</summary>
    public (string Type, HttpStatusCode Status)? FailWith { get; set; }

    public static async Task<FakeStepFunctions> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeStepFunctions(app);
        app.MapPost("/", (Delegate)fake.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.Url = new Uri(address);
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var request = context.Request;
        var problems = new List<string>();
        if (request.Headers["X-Amz-Target"] != "AWSStepFunctions.StartExecution")
            problems.Add($"X-Amz-Target is '{request.Headers["X-Amz-Target"]}'");
        if (request.ContentType != "application/x-amz-json-1.0")
            problems.Add($"Content-Type is '{request.ContentType}'");
        var authorization = request.Headers.Authorization.ToString();
        var signature = SigV4Pattern().Match(authorization);
        if (!signature.Success)
            problems.Add($"Authorization is not a SigV4 header for states: '{authorization}'");
        else if (!signature.Groups["signed"].Value.Split(';').ToHashSet().IsSupersetOf(["host", "x-amz-date", "x-amz-target", "content-type"]))
            problems.Add($"SignedHeaders lacks host, x-amz-date, x-amz-target or content-type: {signature.Groups["signed"].Value}");
        if (string.IsNullOrEmpty(request.Headers["X-Amz-Date"]))
            problems.Add("X-Amz-Date is missing");

        var text = await new StreamReader(request.Body).ReadToEndAsync();
        _bodies.Enqueue(text);
        using var body = JsonDocument.Parse(text);
        var root = body.RootElement;
        var arn = root.TryGetProperty("stateMachineArn", out var a) ? a.GetString() : null;
        var name = root.TryGetProperty("name", out var n) ? n.GetString() : null;
        var input = root.TryGetProperty("input", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        if (arn != StateMachineArn)
            problems.Add($"stateMachineArn is '{arn}'");
        if (name is null || input is null)
        {
            problems.Add("name or input (a JSON string) is missing");
        }
        else
        {
            var parsed = JsonNode.Parse(input)!.AsObject();
            var batchId = (string?)parsed["batch_id"];
            var version = (int?)parsed["version"];
            var expectedManifest = $"batches/{batchId}/v{version:D4}.json";
            if (string.IsNullOrEmpty((string?)parsed["bucket"]) || batchId is null || version is null || parsed.Count != 4)
                problems.Add($"input is not {{bucket, batch_id, version, manifest_key}}: {input}");
            else if (name != $"{batchId}-v{version}")
                problems.Add($"name '{name}' is not <batch_id>-v<version> for {input}");
            else if ((string?)parsed["manifest_key"] != expectedManifest)
                problems.Add($"manifest_key is not {expectedManifest}: {input}");
        }
        foreach (var problem in problems)
            _problems.Enqueue(problem);
        if (problems.Count > 0)
            return Error("ValidationException", HttpStatusCode.BadRequest, string.Join("; ", problems));
        if (FailWith is { } failure)
            return Error(failure.Type, failure.Status, "injected failure");

        if (!_executions.TryAdd(name!, input!))
        {
            if (_executions[name!] != input)
                _problems.Enqueue($"{name} started again with a different input");
            return Error("ExecutionAlreadyExists", HttpStatusCode.BadRequest, $"Execution Already Exists: '{name}'");
        }
        return Results.Json(new { executionArn = $"arn:aws:states:us-east-1:000000000000:execution:kpi-pipeline:{name}", startDate = 1.7e9 });
    }

    private static IResult Error(string type, HttpStatusCode status, string message) =>
        Results.Json(new Dictionary<string, string> { ["__type"] = $"com.amazonaws.swf.service.v2.model#{type}", ["message"] = message }, statusCode: (int)status, contentType: "application/x-amz-json-1.0");

    [GeneratedRegex(@"^AWS4-HMAC-SHA256 Credential=[A-Za-z0-9]+/\d{8}/[a-z0-9-]+/states/aws4_request, SignedHeaders=(?<signed>[a-z0-9;-]+), Signature=[0-9a-f]{64}$")]
    private static partial Regex SigV4Pattern();
}
