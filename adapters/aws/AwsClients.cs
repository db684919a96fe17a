using Amazon.S3;

namespace KpiPipeline.Lake;

/// <summary>
/// AWS clients configured the way every AWS SDK is: default credential chain and region, and the standard
/// endpoint overrides (<c>AWS_ENDPOINT_URL_S3</c>, <c>AWS_ENDPOINT_URL</c>), which
/// the SDK honours by itself. The only addition: with an S3 endpoint override, path-style addressing, since
/// local S3 servers do not serve virtual-hosted bucket names.
/// </summary>
public static class AwsClients
{
    public static IAmazonS3 CreateS3() => new AmazonS3Client(new AmazonS3Config
    {
        ForcePathStyle = EndpointOverride("S3") is not null,
    });

    /// <summary>The endpoint override for a service (<c>S3</c>, <c>DYNAMODB</c>, <c>SFN</c>, <c>SNS</c>), falling back to <c>AWS_ENDPOINT_URL</c>.</summary>
    public static Uri? EndpointOverride(string serviceId)
    {
        var value = Environment.GetEnvironmentVariable($"AWS_ENDPOINT_URL_{serviceId}");
        if (string.IsNullOrWhiteSpace(value))
            value = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        return string.IsNullOrWhiteSpace(value) ? null : new Uri(value);
    }
}
