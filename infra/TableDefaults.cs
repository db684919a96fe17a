using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.IAM;
using Attribute = Amazon.CDK.AWS.DynamoDB.Attribute;

namespace KpiPipeline.Infra;

/// <summary>What every table of the pipeline shares, so no table can drift from it.</summary>
internal static class TableDefaults
{
    /// <summary>
    /// On-demand (a few writes a day cost cents; nothing to size), point-in-time recovery (a bad
    /// KPI run can be rolled back), kept when the stack goes. No TableName: CloudFormation names
    /// it, the processes read the name from their environment.
    /// </summary>
    public static TableProps With(Attribute partitionKey, Attribute? sortKey = null, string? timeToLiveAttribute = null) => new()
    {
        PartitionKey = partitionKey,
        SortKey = sortKey,
        BillingMode = BillingMode.PAY_PER_REQUEST,
        PointInTimeRecovery = true,
        // AWS-owned key: encrypted at rest with no KMS charges and no kms grants on readers and writers.
        Encryption = TableEncryption.DEFAULT,
        RemovalPolicy = RemovalPolicy.RETAIN,
        TimeToLiveAttribute = timeToLiveAttribute,
    };

    public static Attribute StringKey(string name) => new() { Name = name, Type = AttributeType.STRING };

    public static void Grant(IGrantable grantee, ITable table, params string[] actions) =>
        Amazon.CDK.AWS.IAM.Grant.AddToPrincipal(new GrantOnPrincipalOptions
        {
            Grantee = grantee,
            Actions = [.. actions.Select(action => $"dynamodb:{action}")],
            ResourceArns = [table.TableArn],
        });
}
