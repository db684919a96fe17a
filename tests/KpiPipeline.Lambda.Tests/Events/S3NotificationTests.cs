using KpiPipeline.Lambda.Events;
using KpiPipeline.Lambda.Tests.Infrastructure;

namespace KpiPipeline.Lambda.Tests.Events;

public sealed class S3NotificationTests
{
    [Theory]
    [InlineData("raw/orders/2024-01-01/part-0000.csv", "raw/orders/2024-01-01/part-0000.csv")]
    [InlineData("raw/orders/2024-01-01/part+0001.csv", "raw/orders/2024-01-01/part 0001.csv")]
    [InlineData("raw/orders/2024-01-01/a%2Bb.csv", "raw/orders/2024-01-01/a+b.csv")]
    [InlineData("raw/orders/2024-01-01/caf%C3%A9%20%28v2%29.csv", "raw/orders/2024-01-01/café (v2).csv")]
    [InlineData("raw/orders/2024-01-01/100%25.csv", "raw/orders/2024-01-01/100%.csv")]
    public void DecodeKey_UrlEncodedKey_PlusIsSpaceAndEscapesDecoded(string encoded, string expected)
    {
        Assert.Equal(expected, S3Notification.DecodeKey(encoded));
    }

    [Fact]
    public async Task ParseAsync_PutFixture_OneCreatedRecord()
    {
        var notification = await S3Notification.ParseAsync(S3Events.Fixture("s3-put.json"), CancellationToken.None);

        var record = Assert.Single(notification.Created);
        Assert.Equal(("ObjectCreated:Put", "kpi-lake", "raw/orders/2024-01-01/part-0000.csv", 1024L), (record.EventName, record.Bucket, record.Key, record.Size!.Value));
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 0, 5, 0, TimeSpan.Zero), record.EventTime);
    }

    [Fact]
    public async Task ParseAsync_MultipartUploadWithEncodedKey_KeyDecoded()
    {
        var notification = await S3Notification.ParseAsync(S3Events.Fixture("s3-multipart-encoded.json"), CancellationToken.None);

        var record = Assert.Single(notification.Created);
        Assert.Equal("ObjectCreated:CompleteMultipartUpload", record.EventName);
        Assert.Equal("raw/order_items/2024-01-01/part 0001 (retry)+1.csv", record.Key);
    }

    [Fact]
    public async Task ParseAsync_SeveralRecords_AllInOrder()
    {
        var notification = await S3Notification.ParseAsync(S3Events.Fixture("s3-multiple-records.json"), CancellationToken.None);

        Assert.Equal([0, 1, 2, 3], notification.Created.Select(r => r.Index));
        Assert.Equal("raw/products/products.csv", notification.Created[3].Key);
    }

    [Fact]
    public async Task ParseAsync_ObjectRemoved_SkippedNotCreated()
    {
        var notification = await S3Notification.ParseAsync(S3Events.Fixture("s3-object-removed.json"), CancellationToken.None);

        Assert.Empty(notification.Created);
        Assert.Equal("ObjectRemoved:Delete", Assert.Single(notification.Skipped).EventName);
    }

    [Fact]
    public async Task ParseAsync_S3TestEvent_RecognisedWithNoRecords()
    {
        var notification = await S3Notification.ParseAsync(S3Events.Fixture("s3-test-event.json"), CancellationToken.None);

        Assert.True(notification.IsTestEvent);
        Assert.Empty(notification.Created);
    }

    [Theory]
    [InlineData("truncated.json", "The S3 event is not valid JSON")]
    [InlineData("no-records.json", "Records is missing.")]
    [InlineData("records-not-array.json", "Records must be an array, found an object.")]
    [InlineData("record-without-key.json", "Records[1].s3.object.key is missing.")]
    [InlineData("record-without-s3.json", "Records[0].s3 is missing.")]
    [InlineData("bucket-name-not-string.json", "Records[0].s3.bucket.name must be a non-empty string, found the number 42.")]
    [InlineData("sqs-event.json", "Records[0].eventSource is 'aws:sqs', not 'aws:s3'")]
    public async Task ParseAsync_MalformedEvent_MessageNamesTheProblem(string fixture, string expected)
    {
        var error = await Assert.ThrowsAsync<InvalidEventException>(
            () => S3Notification.ParseAsync(S3Events.Fixture(Path.Combine("malformed", fixture)), CancellationToken.None));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "The input must be a JSON object, found an array.")]
    [InlineData("null", "The input must be a JSON object, found null.")]
    [InlineData("{\"Records\": [42]}", "Records[0] must be a JSON object, found the number 42.")]
    [InlineData("{\"Records\": [{\"eventName\": \"ObjectCreated:Put\", \"s3\": {\"bucket\": {\"name\": \"b\"}, \"object\": {\"key\": \"k\", \"size\": \"big\"}}}]}", "Records[0].s3.object.size must be an integer")]
    [InlineData("{\"Records\": [{\"eventName\": \"ObjectCreated:Put\", \"eventTime\": \"yesterday\", \"s3\": {\"bucket\": {\"name\": \"b\"}, \"object\": {\"key\": \"k\"}}}]}", "Records[0].eventTime 'yesterday' is not a timestamp.")]
    [InlineData("", "The S3 event is not valid JSON")]
    public async Task ParseAsync_MalformedJson_MessageNamesTheProblem(string json, string expected)
    {
        var error = await Assert.ThrowsAsync<InvalidEventException>(() => S3Notification.ParseAsync(S3Events.Text(json), CancellationToken.None));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
