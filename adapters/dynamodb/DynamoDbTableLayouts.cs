using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace KpiPipeline.Stores;

/// <summary>A global secondary index: string keys, every attribute projected.</summary>
public sealed record DynamoDbIndexLayout(string Name, string HashKey, string? RangeKey);

/// <summary>
/// One of the pipeline's tables as the code relies on it: its keys and indexes. The CDK stack declares the same
/// (an infra test compares them); local set-up (`kpi-job init`) and the tests create tables from these.
/// </summary>
public sealed record DynamoDbTableLayout(string DefaultName, string HashKey, string? RangeKey, IReadOnlyList<DynamoDbIndexLayout> Indexes)
{
    /// <summary>The request that creates the table under <paramref name="name"/>: on demand, string keys.</summary>
    public CreateTableRequest ToCreateTableRequest(string name)
    {
        var keyNames = new[] { HashKey, RangeKey }
            .Concat(Indexes.SelectMany(index => new[] { index.HashKey, index.RangeKey }))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal);
        return new CreateTableRequest
        {
            TableName = name,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions = [.. keyNames.Select(key => new AttributeDefinition(key, ScalarAttributeType.S))],
            KeySchema = KeySchema(HashKey, RangeKey),
            GlobalSecondaryIndexes = Indexes.Count == 0
                ? null
                : [.. Indexes.Select(index => new GlobalSecondaryIndex
                {
                    IndexName = index.Name,
                    KeySchema = KeySchema(index.HashKey, index.RangeKey),
                    Projection = new Projection { ProjectionType = ProjectionType.ALL },
                })],
        };
    }

    /// <summary>Whether a described table has this layout's keys and indexes (its other settings are not compared).</summary>
    public bool Matches(TableDescription table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return SameKeys(table.KeySchema, HashKey, RangeKey)
            && Indexes.All(index => (table.GlobalSecondaryIndexes ?? []).Any(existing =>
                existing.IndexName == index.Name && SameKeys(existing.KeySchema, index.HashKey, index.RangeKey)));
    }

    /// <summary>The keys and indexes as one line, for messages.</summary>
    public string Describe() =>
        $"key {HashKey}{(RangeKey is null ? "" : $" + {RangeKey}")}"
        + string.Concat(Indexes.Select(index => $", index {index.Name} ({index.HashKey}{(index.RangeKey is null ? "" : $" + {index.RangeKey}")})"));

    private static List<KeySchemaElement> KeySchema(string hashKey, string? rangeKey) =>
        rangeKey is null
            ? [new KeySchemaElement(hashKey, KeyType.HASH)]
            : [new KeySchemaElement(hashKey, KeyType.HASH), new KeySchemaElement(rangeKey, KeyType.RANGE)];

    private static bool SameKeys(List<KeySchemaElement>? schema, string hashKey, string? rangeKey) =>
        schema is not null
        && schema.Count == (rangeKey is null ? 1 : 2)
        && schema.Any(key => key.KeyType == KeyType.HASH && key.AttributeName == hashKey)
        && (rangeKey is null || schema.Any(key => key.KeyType == KeyType.RANGE && key.AttributeName == rangeKey));
}

/// <summary>The pipeline's DynamoDB tables (docs/architecture.md).</summary>
public static class PipelineTables
{
    /// <summary>The KPI tables' month index: date-range reads are a Query per month, never a Scan.</summary>
    public const string ByMonthIndex = "by_month";

    public static readonly DynamoDbTableLayout DailyKpis = new("DailyKPIs", "date_key", null,
        [new DynamoDbIndexLayout(ByMonthIndex, "month", "date_key")]);

    public static readonly DynamoDbTableLayout CategoryKpis = new("CategoryKPIs", "category", "date_key",
        [new DynamoDbIndexLayout(ByMonthIndex, "month", "date_key")]);

    public static readonly DynamoDbTableLayout BatchFileTracker = new("BatchFileTracker", "BatchId", null, []);

    public static readonly DynamoDbTableLayout BatchDateLocks = new("BatchDateLocks", "LockId", null, []);

    public static IReadOnlyList<DynamoDbTableLayout> All { get; } = [DailyKpis, CategoryKpis, BatchFileTracker, BatchDateLocks];
}
