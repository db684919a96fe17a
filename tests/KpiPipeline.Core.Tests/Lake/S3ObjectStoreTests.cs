using KpiPipeline.Lake;
using KpiPipeline.Testing;

namespace KpiPipeline.Core.Tests.Lake;

/// <summary>The same contract against S3 (fauxqs), through AWSSDK.S3 configured only by the standard environment variables.</summary>
[Collection(EmulatorFixture.CollectionName)]
public sealed class S3ObjectStoreTests(EmulatorFixture emulators) : ObjectStoreContract
{
    protected override async Task<IObjectStore> CreateSutAsync() =>
        new S3ObjectStore(AwsClients.CreateS3(), await emulators.NewBucketAsync());

    [Fact]
    public async Task OpenReadAsync_BodyCutOffTwice_ResumesWithRangedReadsAndReadsEveryByte()
    {
        var bucket = await emulators.NewBucketAsync();
        var content = new byte[3 << 20];
        new Random(5).NextBytes(content);
        await new S3ObjectStore(emulators.CreateS3Client(), bucket).PutAsync("raw/orders/2024-03-01/part-0001.csv", content, CancellationToken.None);
        // The first two GETs of the object (the whole body, then the first resumed range) lose half their body.
        var gets = 0;
        await using var proxy = new FaultProxy(emulators.FauxqsUrl, r => r.Method == "GET" && r.PathAndQuery.Contains("part-0001", StringComparison.Ordinal) && Interlocked.Increment(ref gets) <= 2 ? Fault.TruncatedBody : null);
        using var s3 = new Amazon.S3.AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("test", "test"),
            new Amazon.S3.AmazonS3Config { ServiceURL = proxy.Url.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        var store = new S3ObjectStore(s3, bucket);

        await using var stream = await store.OpenReadAsync("raw/orders/2024-03-01/part-0001.csv", CancellationToken.None);
        using var read = new MemoryStream();
        await stream.CopyToAsync(read);

        Assert.Equal(2, proxy.FaultsInjected);
        Assert.Equal(content, read.ToArray());
    }

    [Fact]
    public async Task OpenReadAsync_ResponseThatNamesNoVersion_IsNotResumedButFails()
    {
        var bucket = await emulators.NewBucketAsync();
        await new S3ObjectStore(emulators.CreateS3Client(), bucket).PutAsync("raw/orders/2024-03-01/part-0001.csv", "order_id\n1\n"u8.ToArray(), CancellationToken.None);
        // A dropped connection: a 200 promising one byte, without ETag or real length, then nothing.
        var gets = 0;
        await using var proxy = new FaultProxy(emulators.FauxqsUrl, r => r.Method == "GET" && r.PathAndQuery.Contains("part-0001", StringComparison.Ordinal) && Interlocked.Increment(ref gets) == 1 ? Fault.DroppedConnection : null);
        using var s3 = new Amazon.S3.AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("test", "test"),
            new Amazon.S3.AmazonS3Config { ServiceURL = proxy.Url.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var store = new S3ObjectStore(s3, bucket);

        await using var stream = await store.OpenReadAsync("raw/orders/2024-03-01/part-0001.csv", CancellationToken.None);
        using var read = new MemoryStream();

        await Assert.ThrowsAnyAsync<IOException>(() => stream.CopyToAsync(read));
        Assert.Equal(1, gets);
    }

    [Fact]
    public async Task CreateAsync_LargeObject_UploadsInPartsWithFlatMemory()
    {
        var store = await CreateSutAsync();
        var block = new byte[1 << 20];
        Array.Fill(block, (byte)'x');

        await using (var writer = await store.CreateAsync("curated/large.csv", CancellationToken.None))
        {
            for (var i = 0; i < 24; i++)
                await writer.Stream.WriteAsync(block);
            await writer.CommitAsync(CancellationToken.None);
        }

        var listed = new List<ObjectInfo>();
        await foreach (var item in store.ListAsync("curated/", CancellationToken.None))
            listed.Add(item);
        Assert.Equal(24L << 20, Assert.Single(listed).Size);
    }
}
