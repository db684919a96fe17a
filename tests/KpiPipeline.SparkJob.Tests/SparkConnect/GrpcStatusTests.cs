using KpiPipeline.SparkJob.SparkConnect;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

public sealed class GrpcStatusTests
{
    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("caf%C3%A9 %E2%82%AC%0Anext line", "café €\nnext line")]
    [InlineData("100%", "100%")]
    [InlineData("%ZZ", "%ZZ")]
    [InlineData("", "")]
    public void DecodeMessage_PercentEncodedUtf8_IsDecoded(string raw, string expected)
    {
        Assert.Equal(expected, GrpcStatus.DecodeMessage(raw));
    }

    [Fact]
    public void DecodeReason_UnpaddedBase64ErrorInfo_ReturnsReason()
    {
        var details = SparkResponses.ErrorDetails("org.apache.spark.SparkException");

        Assert.Equal("org.apache.spark.SparkException", GrpcStatus.DecodeReason(details));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("%%%")]
    [InlineData("AAEC")]
    public void DecodeReason_AbsentOrUndecodable_ReturnsNull(string? value)
    {
        Assert.Null(GrpcStatus.DecodeReason(value));
    }
}
