using KpiPipeline.SparkJob.SparkConnect;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

public sealed class SparkConnectionStringTests
{
    [Theory]
    [InlineData("sc://localhost")]
    [InlineData("sc://localhost/")]
    [InlineData("sc://localhost:15002")]
    [InlineData("sc://localhost:15002/")]
    public void Parse_HostOnly_DefaultsToPlaintextPort15002(string value)
    {
        var connection = SparkConnectionString.Parse(value);

        Assert.Equal("localhost", connection.Host);
        Assert.Equal(15002, connection.Port);
        Assert.False(connection.UseSsl);
        Assert.Null(connection.Token);
        Assert.Null(connection.SessionId);
        Assert.Empty(connection.Headers);
        Assert.Equal(new Uri("http://localhost:15002/"), connection.Endpoint);
    }

    [Fact]
    public void Parse_AllKnownParameters_AreRead()
    {
        var connection = SparkConnectionString.Parse(
            "sc://spark.example.com:443/;use_ssl=true;user_id=kpi;session_id=00112233-4455-6677-8899-aabbccddeeff;user_agent=kpi-job/2;grpc_max_message_size=1048576");

        Assert.Equal("spark.example.com", connection.Host);
        Assert.Equal(443, connection.Port);
        Assert.True(connection.UseSsl);
        Assert.Equal("kpi", connection.UserId);
        Assert.Equal(Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), connection.SessionId);
        Assert.Equal("kpi-job/2", connection.UserAgent);
        Assert.Equal(1048576, connection.MaxMessageSize);
        Assert.Equal(new Uri("https://spark.example.com/"), connection.Endpoint);
    }

    [Fact]
    public void Parse_Token_ImpliesTlsAndKeepsBase64Padding()
    {
        var connection = SparkConnectionString.Parse("sc://host:443/;token=abc/+de==");

        Assert.Equal("abc/+de==", connection.Token);
        Assert.True(connection.UseSsl);
    }

    [Fact]
    public void Parse_UnknownParameters_BecomeHeadersInOrder()
    {
        var connection = SparkConnectionString.Parse("sc://ws.cloud:443/;token=t;x-databricks-cluster-id=0123-abc;x.trace=1;");

        Assert.Equal(
            [new("x-databricks-cluster-id", "0123-abc"), new("x.trace", "1")],
            connection.Headers);
    }

    [Fact]
    public void Parse_Ipv6Host_ReadsHostAndPort()
    {
        var connection = SparkConnectionString.Parse("sc://[::1]:16000");

        Assert.Equal("::1", connection.Host);
        Assert.Equal(16000, connection.Port);
        Assert.Equal(new Uri("http://[::1]:16000/"), connection.Endpoint);
    }

    [Fact]
    public void ToString_WithToken_NeverShowsTheToken()
    {
        var connection = SparkConnectionString.Parse("sc://host:443/;token=secret-value");

        Assert.Equal("sc://host:443 (TLS) (token)", connection.ToString());
    }

    [Theory]
    [InlineData("", "it must start with 'sc://'")]
    [InlineData("http://host:15002", "it must start with 'sc://'")]
    [InlineData("SC://host", "it must start with 'sc://'")]
    [InlineData("sc://", "the host is missing")]
    [InlineData("sc://:15002", "the host is missing")]
    [InlineData("sc://host:", "the port '' is not a number from 1 to 65535")]
    [InlineData("sc://host:abc", "the port 'abc' is not a number from 1 to 65535")]
    [InlineData("sc://host:0", "the port '0' is not a number from 1 to 65535")]
    [InlineData("sc://host:70000", "the port '70000' is not a number from 1 to 65535")]
    [InlineData("sc://host:-1", "the port '-1' is not a number from 1 to 65535")]
    [InlineData("sc://[::1", "the IPv6 host has no closing ']'")]
    [InlineData("sc://[::1]x", "unexpected 'x' after the IPv6 host")]
    [InlineData("sc://us er@host", "the host 'us er@host' contains characters a host name cannot have")]
    [InlineData("sc://host/path", "'/path' is not allowed after the host: a path is not supported, parameters follow '/;'")]
    [InlineData("sc://host/;token", "parameter 'token' is not of the form key=value")]
    [InlineData("sc://host/;=x", "parameter '=x' is not of the form key=value")]
    [InlineData("sc://host/;user_id=a;user_id=b", "parameter 'user_id' is given twice")]
    [InlineData("sc://host/;token=", "parameter 'token' has an empty value")]
    [InlineData("sc://host/;use_ssl=yes", "use_ssl must be 'true' or 'false', not 'yes'")]
    [InlineData("sc://host/;session_id=abc", "session_id 'abc' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")]
    [InlineData("sc://host/;grpc_max_message_size=-5", "grpc_max_message_size '-5' is not a positive number of bytes")]
    [InlineData("sc://host/;token=t;use_ssl=false", "token requires TLS, so use_ssl=false cannot be combined with it")]
    [InlineData("sc://host/;Token=t", "unknown parameter 'Token': names are case-sensitive, and a metadata header name may only hold a-z, 0-9, '-', '_', '.'")]
    [InlineData("sc://host/;grpc-timeout=1S", "parameter 'grpc-timeout' would override a header the client sets itself")]
    [InlineData("sc://host/;authorization=x", "parameter 'authorization' would override a header the client sets itself")]
    public void Parse_Malformed_ThrowsOneLineNamingTheProblem(string value, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => SparkConnectionString.Parse(value));

        Assert.Equal($"Invalid Spark Connect connection string: {reason}.", ex.Message);
    }
}
