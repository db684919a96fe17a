using KpiPipeline.Batching;
using KpiPipeline.Testing;

namespace KpiPipeline.Core.Tests.Batching;

[Collection(EmulatorFixture.CollectionName)]
public sealed class DynamoDbBatchTrackerTests(EmulatorFixture emulators) : BatchTrackerContract
{
    protected override async Task<(IBatchTracker First, IBatchTracker Second)> CreateSutAsync()
    {
        var table = await emulators.CreateTrackerTableAsync();
        return (new DynamoDbBatchTracker(emulators.CreateDynamoDbClient(), table), new DynamoDbBatchTracker(emulators.CreateDynamoDbClient(), table));
    }
}
