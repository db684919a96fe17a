using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace KpiPipeline.Lambda.Tests.Infrastructure;

/// <summary>Builds S3 notifications the way S3 sends them: keys URL-encoded with '+' for spaces.</summary>
internal static class S3Events
{
    public const string Bucket = "kpi-lake";

    public static readonly DateTimeOffset DefaultTime = new(2024, 1, 2, 0, 5, 0, TimeSpan.Zero);

    public static Stream Created(params string[] keys) => Created(DefaultTime, keys);

    public static Stream Created(DateTimeOffset eventTime, params string[] keys) =>
        Json(keys.Select(key => Record(key, eventTime)).ToArray());

    /// <summary>A record with S3's per-key <c>sequencer</c>: the same for a re-delivered event, new for every upload.</summary>
    public static Stream Uploaded(string key, string sequencer)
    {
        var record = Record(key);
        record["s3"]!["object"]!["sequencer"] = sequencer;
        return Json(record);
    }

    public static JsonObject Record(string key, DateTimeOffset? eventTime = null, string eventName = "ObjectCreated:Put") => new()
    {
        ["eventVersion"] = "2.1",
        ["eventSource"] = "aws:s3",
        ["awsRegion"] = "us-east-1",
        ["eventTime"] = (eventTime ?? DefaultTime).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["eventName"] = eventName,
        ["s3"] = new JsonObject
        {
            ["s3SchemaVersion"] = "1.0",
            ["bucket"] = new JsonObject { ["name"] = Bucket, ["arn"] = $"arn:aws:s3:::{Bucket}" },
            ["object"] = new JsonObject { ["key"] = WebUtility.UrlEncode(key).Replace("%2F", "/", StringComparison.Ordinal), ["size"] = 1024 },
        },
    };

    public static Stream Json(params JsonNode[] records) => Text(new JsonObject { ["Records"] = new JsonArray(records) }.ToJsonString());

    public static Stream Text(string json) => new MemoryStream(Encoding.UTF8.GetBytes(json));

    /// <summary>A checked-in event from the Events folder.</summary>
    public static Stream Fixture(string name) => File.OpenRead(FixturePath(name));

    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Events", name);
}
