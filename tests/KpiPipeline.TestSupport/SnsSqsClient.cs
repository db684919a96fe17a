using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace KpiPipeline.Testing;

/// <summary>A queue as SQS names it.</summary>
public sealed record SqsQueue(string Name, string Url, string Arn);

/// <summary>A message received from a queue.</summary>
public sealed record SqsMessage(string MessageId, string ReceiptHandle, string Body)
{
    /// <summary>The SNS envelope a topic subscription wraps around a published message.</summary>
    /// <exception cref="JsonException">The body is not an SNS notification.</exception>
    public SnsNotification ToSnsNotification()
    {
        using var document = JsonDocument.Parse(Body);
        var root = document.RootElement;
        string Required(string name) => root.TryGetProperty(name, out var value) && value.GetString() is { } text
            ? text
            : throw new JsonException($"SQS message {MessageId} is not an SNS notification: no '{name}' in {Body}");
        return new SnsNotification(
            Required("MessageId"),
            Required("TopicArn"),
            root.TryGetProperty("Subject", out var subject) ? subject.GetString() : null,
            Required("Message"));
    }
}

/// <summary>A message published to an SNS topic, as delivered to a subscribed queue.</summary>
public sealed record SnsNotification(string MessageId, string TopicArn, string? Subject, string Message);

/// <summary>A queue's state as fauxqs's <c>/_fauxqs/queues</c> inspection endpoint reports it.</summary>
public sealed record SqsQueueSummary(
    string Name,
    string Url,
    string Arn,
    int ApproximateMessageCount,
    int ApproximateInflightCount,
    int ApproximateDelayedCount);

/// <summary>
/// A minimal SNS and SQS client over plain HTTP for tests (AWSSDK.SNS and AWSSDK.SQS are not
/// available). SQS speaks the JSON 1.0 protocol (<c>X-Amz-Target: AmazonSQS.*</c>), SNS the query
/// protocol (form-encoded <c>Action=…</c>, XML answers), both on fauxqs's single endpoint.
/// Requests are unsigned: fauxqs does not check signatures and falls back to us-east-1.
/// </summary>
public sealed class SnsSqsClient
{
    private const string SnsVersion = "2010-03-31";
    private const int MaxLongPollSeconds = 20;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;

    /// <param name="http">Used as is; not disposed by this client.</param>
    /// <param name="serviceUrl">fauxqs's endpoint, e.g. <see cref="EmulatorFixture.FauxqsUrl"/>.</param>
    public SnsSqsClient(HttpClient http, Uri serviceUrl)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(serviceUrl);
        _http = http;
        ServiceUrl = serviceUrl;
    }

    public Uri ServiceUrl { get; }

    /// <summary>Creates (or finds) a standard topic; returns its ARN.</summary>
    public async Task<string> CreateTopicAsync(string name, CancellationToken cancellationToken = default)
    {
        var answer = await SnsAsync("CreateTopic", [new("Name", name)], cancellationToken);
        return Element(answer, "TopicArn");
    }

    /// <summary>Creates (or finds) a standard queue.</summary>
    public async Task<SqsQueue> CreateQueueAsync(string name, CancellationToken cancellationToken = default)
    {
        using var created = await SqsAsync("CreateQueue", new { QueueName = name }, cancellationToken);
        var url = created.RootElement.GetProperty("QueueUrl").GetString()!;
        using var attributes = await SqsAsync(
            "GetQueueAttributes", new { QueueUrl = url, AttributeNames = new[] { "QueueArn" } }, cancellationToken);
        var arn = attributes.RootElement.GetProperty("Attributes").GetProperty("QueueArn").GetString()!;
        return new SqsQueue(name, url, arn);
    }

    /// <summary>Subscribes <paramref name="queueArn"/> to <paramref name="topicArn"/> (envelope delivery); returns the subscription ARN.</summary>
    public async Task<string> SubscribeAsync(string topicArn, string queueArn, CancellationToken cancellationToken = default)
    {
        var answer = await SnsAsync(
            "Subscribe",
            [new("TopicArn", topicArn), new("Protocol", "sqs"), new("Endpoint", queueArn)],
            cancellationToken);
        return Element(answer, "SubscriptionArn");
    }

    /// <summary>Creates a queue named <paramref name="queueName"/> and subscribes it to <paramref name="topicArn"/>.</summary>
    public async Task<SqsQueue> CreateSubscribedQueueAsync(
        string topicArn,
        string queueName,
        CancellationToken cancellationToken = default)
    {
        var queue = await CreateQueueAsync(queueName, cancellationToken);
        await SubscribeAsync(topicArn, queue.Arn, cancellationToken);
        return queue;
    }

    /// <summary>Publishes to a topic; returns the message id.</summary>
    public async Task<string> PublishAsync(
        string topicArn,
        string message,
        string? subject = null,
        CancellationToken cancellationToken = default)
    {
        List<KeyValuePair<string, string>> parameters = [new("TopicArn", topicArn), new("Message", message)];
        if (subject is not null)
        {
            parameters.Add(new("Subject", subject));
        }

        var answer = await SnsAsync("Publish", parameters, cancellationToken);
        return Element(answer, "MessageId");
    }

    /// <summary>
    /// One ReceiveMessage call: up to <paramref name="maxMessages"/> (1–10) messages, long-polling the
    /// server for up to <paramref name="waitSeconds"/> (0–20) when the queue is empty. Received messages
    /// stay in flight until deleted.
    /// </summary>
    public async Task<IReadOnlyList<SqsMessage>> ReceiveAsync(
        string queueUrl,
        int maxMessages = 10,
        int waitSeconds = 0,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, 10);
        ArgumentOutOfRangeException.ThrowIfNegative(waitSeconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(waitSeconds, MaxLongPollSeconds);
        using var answer = await SqsAsync(
            "ReceiveMessage",
            new { QueueUrl = queueUrl, MaxNumberOfMessages = maxMessages, WaitTimeSeconds = waitSeconds },
            cancellationToken);
        if (!answer.RootElement.TryGetProperty("Messages", out var messages))
        {
            return [];
        }

        return messages.EnumerateArray()
            .Select(m => new SqsMessage(
                m.GetProperty("MessageId").GetString()!,
                m.GetProperty("ReceiptHandle").GetString()!,
                m.GetProperty("Body").GetString()!))
            .ToList();
    }

    public async Task DeleteMessageAsync(string queueUrl, string receiptHandle, CancellationToken cancellationToken = default)
    {
        using var _ = await SqsAsync(
            "DeleteMessage", new { QueueUrl = queueUrl, ReceiptHandle = receiptHandle }, cancellationToken);
    }

    /// <summary>
    /// Receives (long-polling, no fixed sleeps) and deletes messages until <paramref name="count"/>
    /// have arrived; returns them in arrival order.
    /// </summary>
    /// <exception cref="TimeoutException">Fewer arrived within <paramref name="timeout"/>; the message says how many.</exception>
    public async Task<IReadOnlyList<SqsMessage>> WaitForMessagesAsync(
        string queueUrl,
        int count,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var elapsed = Stopwatch.StartNew();
        var received = new List<SqsMessage>();
        while (received.Count < count)
        {
            var left = timeout - elapsed.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException(
                    $"Expected {count} message(s) on {queueUrl} within {timeout.TotalSeconds:0.#} s, got {received.Count}.");
            }

            var waitSeconds = (int)Math.Clamp(Math.Ceiling(left.TotalSeconds), 1, MaxLongPollSeconds);
            var batch = await ReceiveAsync(queueUrl, Math.Min(10, count - received.Count), waitSeconds, cancellationToken);
            foreach (var message in batch)
            {
                await DeleteMessageAsync(queueUrl, message.ReceiptHandle, cancellationToken);
                received.Add(message);
            }
        }

        return received;
    }

    /// <summary><see cref="WaitForMessagesAsync"/>, unwrapped from the SNS envelope.</summary>
    public async Task<IReadOnlyList<SnsNotification>> WaitForNotificationsAsync(
        string queueUrl,
        int count,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var messages = await WaitForMessagesAsync(queueUrl, count, timeout, cancellationToken);
        return messages.Select(m => m.ToSnsNotification()).ToList();
    }

    /// <summary>Every queue with its message counts, read without receiving (fauxqs's inspection endpoint).</summary>
    public async Task<IReadOnlyList<SqsQueueSummary>> InspectQueuesAsync(CancellationToken cancellationToken = default)
    {
        var queues = await _http.GetFromJsonAsync<List<SqsQueueSummary>>(
            new Uri(ServiceUrl, "/_fauxqs/queues"), Json, cancellationToken);
        return queues ?? [];
    }

    private async Task<JsonDocument> SqsAsync(string action, object request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, ServiceUrl)
        {
            Content = new StringContent(JsonSerializer.Serialize(request), Encoding.UTF8, "application/x-amz-json-1.0"),
        };
        message.Headers.Add("X-Amz-Target", $"AmazonSQS.{action}");
        using var response = await _http.SendAsync(message, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"SQS {action} at {ServiceUrl} failed with HTTP {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }

        return JsonDocument.Parse(body.Length == 0 ? "{}" : body);
    }

    private async Task<XDocument> SnsAsync(
        string action,
        IEnumerable<KeyValuePair<string, string>> parameters,
        CancellationToken cancellationToken)
    {
        List<KeyValuePair<string, string>> form = [new("Action", action), new("Version", SnsVersion), .. parameters];
        using var content = new FormUrlEncodedContent(form);
        using var response = await _http.PostAsync(ServiceUrl, content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"SNS {action} at {ServiceUrl} failed with HTTP {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }

        return XDocument.Parse(body);
    }

    private static string Element(XDocument answer, string localName) =>
        answer.Descendants().FirstOrDefault(e => e.Name.LocalName == localName)?.Value
        ?? throw new InvalidOperationException($"SNS answer has no <{localName}>: {answer}");
}
