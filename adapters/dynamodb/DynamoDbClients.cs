using Amazon.DynamoDBv2;

namespace KpiPipeline.Lake;

/// <summary>
/// The DynamoDB client configured like <see cref="AwsClients"/>' S3 client: default credential chain and region, and
/// the standard endpoint overrides (<c>AWS_ENDPOINT_URL_DYNAMODB</c>, <c>AWS_ENDPOINT_URL</c>), which the SDK honours
/// by itself. Kept apart from <see cref="AwsClients"/> so that S3-only deployables carry no DynamoDB SDK.
/// </summary>
public static class DynamoDbClients
{
    public static IAmazonDynamoDB Create() => new AmazonDynamoDBClient();
}
