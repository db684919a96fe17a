using System.Text.Json.Nodes;
using Amazon.CDK.Assertions;
using KpiPipeline.Infra.Tests.Support;
using KpiPipeline.Stores;

namespace KpiPipeline.Infra.Tests;

/// <summary>BatchTracking and KpiTables: the key schemas of docs/architecture.md and how every table is kept.</summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed class TableTests(SynthesizedStack sut)
{
    public static TheoryData<string, string, string?> ContractTables => new()
    {
        { OutputNames.TrackerTableName, "BatchId", null },
        { OutputNames.LockTableName, "LockId", null },
        { OutputNames.DailyKpisTableName, "date_key", null },
        { OutputNames.CategoryKpisTableName, "category", "date_key" },
    };

    [Fact]
    public void Stack_Synthesized_HasExactlyTheFourContractTables() =>
        sut.Template.ResourceCountIs("AWS::DynamoDB::Table", 4);

    [Theory]
    [MemberData(nameof(ContractTables))]
    public void Table_NamedInOutput_HasContractKeySchemaWithStringKeys(string output, string partitionKey, string? sortKey)
    {
        var table = sut.Json.ResourceOfOutput(output);

        var expectedKeys = new List<(string, string)> { (partitionKey, "HASH") };
        if (sortKey is not null)
            expectedKeys.Add((sortKey, "RANGE"));
        var keys = table.Properties["KeySchema"]!.AsArray()
            .Select(key => ((string)key!["AttributeName"]!, (string)key["KeyType"]!));
        Assert.Equal(expectedKeys, keys);
        Assert.All(table.Properties["AttributeDefinitions"]!.AsArray(),
            definition => Assert.Equal("S", (string)definition!["AttributeType"]!));
    }

    [Theory]
    [MemberData(nameof(ContractTables))]
    public void Table_NamedInOutput_IsOnDemandWithPitrRetainedAndUnnamed(string output, string partitionKey, string? sortKey)
    {
        _ = (partitionKey, sortKey);
        var table = sut.Json.ResourceOfOutput(output);

        Assert.Equal("PAY_PER_REQUEST", (string?)table.Properties["BillingMode"]);
        Assert.True((bool?)table.Properties["PointInTimeRecoverySpecification"]?["PointInTimeRecoveryEnabled"]);
        Assert.Equal("Retain", (string?)table.Node["DeletionPolicy"]);
        Assert.Equal("Retain", (string?)table.Node["UpdateReplacePolicy"]);
        // A physical name would block a second deployment in the same account and a replacement.
        Assert.Null(table.Properties["TableName"]);
    }

    [Fact]
    public void AllTables_Synthesized_ShareBillingAndRecoverySettings()
    {
        sut.Template.AllResourcesProperties("AWS::DynamoDB::Table", new Dictionary<string, object>
        {
            ["BillingMode"] = "PAY_PER_REQUEST",
            ["PointInTimeRecoverySpecification"] = new Dictionary<string, object> { ["PointInTimeRecoveryEnabled"] = true },
        });
        sut.Template.AllResources("AWS::DynamoDB::Table", new Dictionary<string, object> { ["DeletionPolicy"] = "Retain" });
    }

    [Fact]
    public void Tables_Synthesized_CarryTheCostAllocationTag() =>
        sut.Template.AllResourcesProperties("AWS::DynamoDB::Table", new Dictionary<string, object>
        {
            ["Tags"] = Match.ArrayWith([new Dictionary<string, object>
            {
                ["Key"] = KpiPipelineStack.CostAllocationTag,
                ["Value"] = KpiPipelineStack.CostAllocationTagValue,
            }]),
        });

    [Fact]
    public void LockTable_Synthesized_ExpiresLeasesThroughTtlOnExpiresAt()
    {
        var locks = sut.Json.ResourceOfOutput(OutputNames.LockTableName);

        var ttl = locks.Properties["TimeToLiveSpecification"]!;
        Assert.Equal(BatchTracking.LeaseExpiryAttribute, (string?)ttl["AttributeName"]);
        Assert.True((bool?)ttl["Enabled"]);
    }

    [Fact]
    public void KpiJobTaskRole_Synthesized_WritesOnlyBothKpiTables()
    {
        var daily = sut.Json.ResourceOfOutput(OutputNames.DailyKpisTableName).LogicalId;
        var category = sut.Json.ResourceOfOutput(OutputNames.CategoryKpisTableName).LogicalId;
        var taskRole = TaskRoleOf(PipelineContainers.KpiJobContainerName);

        var dynamoStatements = sut.Json.StatementsOfRole(taskRole)
            .Where(statement => statement.Actions.Any(action => action.StartsWith("dynamodb:", StringComparison.Ordinal)))
            .ToList();

        Assert.Equal(new[] { category, daily }, dynamoStatements
            .SelectMany(statement => statement.Resources.Select(TemplateJson.ReferencedLogicalId)).Order());
        // By key only: the write path never scans or queries.
        Assert.DoesNotContain(dynamoStatements.SelectMany(statement => statement.Actions), action => action is "dynamodb:Scan" or "dynamodb:Query");
        Assert.All(dynamoStatements, statement => Assert.Contains("dynamodb:BatchWriteItem", statement.Actions));
    }

    public static TheoryData<string, string> KpiTablesWithTheirLayout => new()
    {
        { OutputNames.DailyKpisTableName, nameof(PipelineTables.DailyKpis) },
        { OutputNames.CategoryKpisTableName, nameof(PipelineTables.CategoryKpis) },
    };

    [Theory]
    [MemberData(nameof(KpiTablesWithTheirLayout))]
    public void KpiTable_Synthesized_HasTheIndexesTheStoreQueries(string output, string layoutName)
    {
        var layout = layoutName == nameof(PipelineTables.DailyKpis) ? PipelineTables.DailyKpis : PipelineTables.CategoryKpis;
        var table = sut.Json.ResourceOfOutput(output);

        var indexes = table.Properties["GlobalSecondaryIndexes"]!.AsArray()
            .Select(index => (
                Name: (string)index!["IndexName"]!,
                Keys: index["KeySchema"]!.AsArray().Select(key => ((string)key!["AttributeName"]!, (string)key["KeyType"]!)).ToList(),
                Projection: (string)index["Projection"]!["ProjectionType"]!))
            .ToList();

        Assert.Equal(layout.Indexes.Count, indexes.Count);
        Assert.All(layout.Indexes, expected =>
        {
            var index = Assert.Single(indexes, index => index.Name == expected.Name);
            Assert.Equal([(expected.HashKey, "HASH"), (expected.RangeKey!, "RANGE")], index.Keys);
            Assert.Equal("ALL", index.Projection);
        });
    }

    private string TaskRoleOf(string containerName) =>
        TemplateJson.ReferencedLogicalId(sut.Json.Resources("AWS::ECS::TaskDefinition")
            .Single(task => (string?)task.Properties["ContainerDefinitions"]![0]!["Name"] == containerName)
            .Properties["TaskRoleArn"]!)!;
}
