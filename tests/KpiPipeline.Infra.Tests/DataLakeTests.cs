using Amazon.CDK.Assertions;
using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>DataLake: how the bucket is protected, aged and wired to the aggregator.</summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed class DataLakeTests(SynthesizedStack sut)
{
    [Fact]
    public void Bucket_Synthesized_IsEncryptedPrivateVersionedAndOwnerEnforced() =>
        sut.Template.HasResourceProperties("AWS::S3::Bucket", new Dictionary<string, object>
        {
            ["BucketEncryption"] = new Dictionary<string, object>
            {
                ["ServerSideEncryptionConfiguration"] = new object[]
                {
                    new Dictionary<string, object>
                    {
                        ["ServerSideEncryptionByDefault"] = new Dictionary<string, object> { ["SSEAlgorithm"] = "AES256" },
                    },
                },
            },
            ["PublicAccessBlockConfiguration"] = new Dictionary<string, object>
            {
                ["BlockPublicAcls"] = true,
                ["BlockPublicPolicy"] = true,
                ["IgnorePublicAcls"] = true,
                ["RestrictPublicBuckets"] = true,
            },
            ["VersioningConfiguration"] = new Dictionary<string, object> { ["Status"] = "Enabled" },
            ["OwnershipControls"] = new Dictionary<string, object>
            {
                ["Rules"] = new object[] { new Dictionary<string, object> { ["ObjectOwnership"] = "BucketOwnerEnforced" } },
            },
        });

    [Fact]
    public void Bucket_Synthesized_IsRetainedAndUnnamed()
    {
        var bucket = sut.Json.ResourceOfOutput(OutputNames.BucketName);

        Assert.Equal("Retain", (string?)bucket.Node["DeletionPolicy"]);
        Assert.Equal("Retain", (string?)bucket.Node["UpdateReplacePolicy"]);
        Assert.Null(bucket.Properties["BucketName"]);
    }

    [Fact]
    public void BucketPolicy_Synthesized_DeniesEveryRequestWithoutTls()
    {
        var bucket = sut.Json.ResourceOfOutput(OutputNames.BucketName).LogicalId;
        var policy = sut.Json.Resources("AWS::S3::BucketPolicy")
            .Single(candidate => TemplateJson.ReferencedLogicalId(candidate.Properties["Bucket"]!) == bucket);

        var statement = Assert.Single(policy.Properties["PolicyDocument"]!["Statement"]!.AsArray())!;
        Assert.Equal("Deny", (string?)statement["Effect"]);
        Assert.Equal("s3:*", (string?)statement["Action"]);
        Assert.Equal("false", (string?)statement["Condition"]!["Bool"]!["aws:SecureTransport"]);
        // Both the bucket (List*) and its objects (Get*/Put*) are covered.
        Assert.Equal(2, statement["Resource"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("processed/", "STANDARD_IA")]
    [InlineData("processed/", "GLACIER_IR")]
    public void LifecycleRules_ProcessedPrefix_TransitionToColderStorage(string prefix, string storageClass)
    {
        var rule = LifecycleRuleFor(prefix);

        Assert.Contains(rule["Transitions"]!.AsArray(), transition => (string?)transition!["StorageClass"] == storageClass);
    }

    [Fact]
    public void LifecycleRules_LogsPrefix_Expire()
    {
        var rule = LifecycleRuleFor("logs/");

        Assert.True((int?)rule["ExpirationInDays"] > 0);
    }

    [Fact]
    public void LifecycleRules_WholeBucket_ExpireNoncurrentVersionsAndAbandonedUploads()
    {
        var rule = sut.Json.ResourceOfOutput(OutputNames.BucketName).Properties["LifecycleConfiguration"]!["Rules"]!.AsArray()
            .Single(candidate => candidate!["Prefix"] is null)!;

        Assert.True((int?)rule["NoncurrentVersionExpiration"]?["NoncurrentDays"] > 0);
        Assert.True((int?)rule["AbortIncompleteMultipartUpload"]?["DaysAfterInitiation"] > 0);
    }

    [Fact]
    public void Notifications_Synthesized_InvokeAggregatorForEverythingUnderRawWithoutASuffixFilter()
    {
        var aggregator = sut.Json.Function(PipelineFunctions.AggregatorName).LogicalId;
        var configuration = Assert.Single(sut.Json.Resources("Custom::S3BucketNotifications").Single()
            .Properties["NotificationConfiguration"]!["LambdaFunctionConfigurations"]!.AsArray())!;

        Assert.Equal(["s3:ObjectCreated:*"], TemplateJson.Strings(configuration["Events"]));
        Assert.Equal(aggregator, TemplateJson.ReferencedLogicalId(configuration["LambdaFunctionArn"]!));
        // S3's suffix filter is case-sensitive; the aggregator's router decides what a data file is (.csv in any case).
        var rule = Assert.Single(configuration["Filter"]!["Key"]!["FilterRules"]!.AsArray())!;
        Assert.Equal(("prefix", "raw/"), (((string)rule["Name"]!).ToLowerInvariant(), (string?)rule["Value"]));
    }

    [Fact]
    public void AccessLogs_Synthesized_GoToASeparatePrivateEncryptedBucket()
    {
        var lake = sut.Json.ResourceOfOutput(OutputNames.BucketName);
        var logs = sut.Json.ResourceOfOutput(OutputNames.AccessLogBucketName);

        Assert.NotEqual(lake.LogicalId, logs.LogicalId);
        var logging = lake.Properties["LoggingConfiguration"]!;
        Assert.Equal(logs.LogicalId, TemplateJson.ReferencedLogicalId(logging["DestinationBucketName"]!));
        Assert.Equal(DataLake.AccessLogPrefix, (string?)logging["LogFilePrefix"]);
        Assert.Equal("AES256", (string?)logs.Properties["BucketEncryption"]!["ServerSideEncryptionConfiguration"]![0]!["ServerSideEncryptionByDefault"]!["SSEAlgorithm"]);
        var block = logs.Properties["PublicAccessBlockConfiguration"]!.AsObject();
        Assert.Equal(4, block.Count(setting => setting.Value!.GetValue<bool>()));
        Assert.Equal("BucketOwnerEnforced", (string?)logs.Properties["OwnershipControls"]!["Rules"]![0]!["ObjectOwnership"]);
        Assert.Null(logs.Properties["LoggingConfiguration"]);
    }

    [Fact]
    public void AccessLogBucket_Policy_LetsOnlyS3LoggingForTheLakeWriteAndDeniesPlainHttp()
    {
        var logs = sut.Json.ResourceOfOutput(OutputNames.AccessLogBucketName).LogicalId;
        var lake = sut.Json.ResourceOfOutput(OutputNames.BucketName).LogicalId;
        var statements = sut.Json.Resources("AWS::S3::BucketPolicy")
            .Single(policy => TemplateJson.ReferencedLogicalId(policy.Properties["Bucket"]!) == logs)
            .Properties["PolicyDocument"]!["Statement"]!.AsArray();

        var allow = Assert.Single(statements, statement => (string?)statement!["Effect"] == "Allow")!;
        Assert.Equal("logging.s3.amazonaws.com", (string?)allow["Principal"]!["Service"]);
        Assert.Equal(["s3:PutObject"], TemplateJson.Strings(allow["Action"]));
        Assert.Equal(lake, TemplateJson.ReferencedLogicalId(allow["Condition"]!["ArnLike"]!["aws:SourceArn"]!));
        Assert.Contains(statements, statement => (string?)statement!["Effect"] == "Deny"
            && (string?)statement["Condition"]?["Bool"]?["aws:SecureTransport"] == "false");
    }

    private System.Text.Json.Nodes.JsonNode LifecycleRuleFor(string prefix) =>
        sut.Json.ResourceOfOutput(OutputNames.BucketName).Properties["LifecycleConfiguration"]!["Rules"]!.AsArray()
            .Single(rule => (string?)rule!["Prefix"] == prefix)!;
}
