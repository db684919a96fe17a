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
