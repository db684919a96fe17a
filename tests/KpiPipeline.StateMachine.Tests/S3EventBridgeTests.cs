using KpiPipeline.Lake;
using KpiPipeline.Lambda.Local;

namespace KpiPipeline.StateMachine.Tests;

public sealed class S3EventBridgeTests
{
    [Fact]
    public void Notification_KeysWithSpacesAndPlus_AreEncodedAsS3EncodesThem()
    {
        var notification = S3EventBridge.Notification("lake", [new ObjectInfo("raw/orders/2024-01-01/a b+c.csv", 42)], DateTimeOffset.UnixEpoch);

        var record = Assert.Single(notification["Records"]!.AsArray())!;
        Assert.Equal("ObjectCreated:Put", (string?)record["eventName"]);
        Assert.Equal("lake", (string?)record["s3"]!["bucket"]!["name"]);
        Assert.Equal("raw/orders/2024-01-01/a+b%2Bc.csv", (string?)record["s3"]!["object"]!["key"]);
        Assert.Equal(42, (long?)record["s3"]!["object"]!["size"]);
    }

    [Fact]
    public async Task NotificationForAsync_UploadedLake_ListsProductsFirst()
    {
        using var lake = new Testing.TempLake();
        lake.Write("raw/orders/2024-01-01/part-0000.csv", "x");
        lake.Write(LakeLayout.ProductsKey, "x");

        var notification = await S3EventBridge.NotificationForAsync(lake.Store, "lake", TimeProvider.System, CancellationToken.None);

        Assert.Equal(
            [LakeLayout.ProductsKey, "raw/orders/2024-01-01/part-0000.csv"],
            notification["Records"]!.AsArray().Select(r => (string?)r!["s3"]!["object"]!["key"]));
    }
}
