using System.Globalization;
using System.Net;
using System.Text.Json;

namespace KpiPipeline.Lambda.Events;

/// <summary>One <c>ObjectCreated:*</c> record of an S3 notification, with its key URL-decoded.</summary>
/// <param name="Index">The record's position in <c>Records</c>, for log lines and messages.</param>
/// <param name="EventTime">When S3 saw the upload; null when the record has none.</param>
/// <param name="Sequencer">S3's order of the writes to one key: the same for a re-delivered event, a new one for every upload.</param>
internal sealed record S3ObjectCreated(int Index, string EventName, DateTimeOffset? EventTime, string Bucket, string Key, long? Size, string? Sequencer = null)
{
    /// <summary>Tells a re-upload of the key from a re-delivery of the same event; the key alone when S3 sent no sequencer.</summary>
    public string ArrivalId => Sequencer is null ? Key : $"{Key}@{Sequencer}";
}

/// <summary>A record the aggregator does not act on (another event type), kept for the log.</summary>
internal sealed record S3SkippedRecord(int Index, string EventName, string? Key);

/// <summary>An S3 event notification as Lambda delivers it (one or more records).</summary>
internal sealed record S3Notification(IReadOnlyList<S3ObjectCreated> Created, IReadOnlyList<S3SkippedRecord> Skipped, bool IsTestEvent)
{
    public static async Task<S3Notification> ParseAsync(Stream input, CancellationToken cancellationToken)
    {
        using var document = await JsonInput.ParseAsync(input, "S3 event", cancellationToken).ConfigureAwait(false);
        var root = JsonInput.Object(document.RootElement, "");
        // S3 sends one s3:TestEvent when a notification is configured; it has no Records and needs nothing.
        if (JsonInput.OptionalString(root, "Event", "") == "s3:TestEvent")
            return new S3Notification([], [], IsTestEvent: true);

        var created = new List<S3ObjectCreated>();
        var skipped = new List<S3SkippedRecord>();
        var index = 0;
        foreach (var record in JsonInput.RequiredArray(root, "Records", ""))
        {
            var path = $"Records[{index}]";
            JsonInput.Object(record, path);
            var source = JsonInput.OptionalString(record, "eventSource", path);
            if (source is not null && source != "aws:s3")
                throw new InvalidEventException($"{path}.eventSource is '{source}', not 'aws:s3': this handler takes S3 notifications only.");
            var eventName = JsonInput.RequiredString(record, "eventName", path);
            var s3 = JsonInput.RequiredObject(record, "s3", path);
            var bucket = JsonInput.RequiredObject(s3, "bucket", path + ".s3");
            var bucketName = JsonInput.RequiredString(bucket, "name", path + ".s3.bucket");
            var obj = JsonInput.RequiredObject(s3, "object", path + ".s3");
            var key = DecodeKey(JsonInput.RequiredString(obj, "key", path + ".s3.object"));
            if (!eventName.StartsWith("ObjectCreated:", StringComparison.Ordinal))
            {
                skipped.Add(new S3SkippedRecord(index, eventName, key));
            }
            else
            {
                created.Add(new S3ObjectCreated(
                    index, eventName, ParseTime(record, path), bucketName, key,
                    JsonInput.OptionalInteger(obj, "size", path + ".s3.object"),
                    JsonInput.OptionalString(obj, "sequencer", path + ".s3.object")));
            }
            index++;
        }
        return new S3Notification(created, skipped, IsTestEvent: false);
    }

    /// <summary>
    /// S3 URL-encodes keys in notifications the way HTML forms do: <c>+</c> is a space, <c>%2B</c> a plus.
    /// </summary>
    public static string DecodeKey(string encoded) => WebUtility.UrlDecode(encoded);

    private static DateTimeOffset? ParseTime(JsonElement record, string path)
    {
        var text = JsonInput.OptionalString(record, "eventTime", path);
        if (text is null)
            return null;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            throw new InvalidEventException($"{path}.eventTime '{text}' is not a timestamp.");
        return time;
    }
}
