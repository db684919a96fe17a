using Amazon.Runtime;

namespace KpiPipeline.Lake;

/// <summary>AWS errors as one line for an entry point's exit-1 message (the stores name missing buckets and tables themselves).</summary>
public static class AwsFailures
{
    public static string? Describe(Exception exception) => exception switch
    {
        AmazonServiceException service => $"AWS error {service.ErrorCode} (HTTP {(int)service.StatusCode}): {service.Message}",
        AmazonClientException client => $"AWS client failure: {client.Message}",
        _ => null,
    };
}
