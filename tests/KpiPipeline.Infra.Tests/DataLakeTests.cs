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
    public void Notifications_Synthesized_InvokeAggregatorForRawCsvAndShopManifests()
    {
        var aggregator = FunctionWithHandler(PipelineFunctions.AggregatorHandler);
        var configurations = sut.Json.Resources("Custom::S3BucketNotifications").Single()
            .Properties["NotificationConfiguration"]!["LambdaFunctionConfigurations"]!.AsArray();

        var filters = configurations.Select(configuration =>
        {
            Assert.Equal(["s3:ObjectCreated:*"], TemplateJson.Strings(configuration!["Events"]));
            Assert.Equal(aggregator, TemplateJson.ReferencedLogicalId(configuration["LambdaFunctionArn"]!));
            var rules = configuration["Filter"]!["Key"]!["FilterRules"]!.AsArray()
                .ToDictionary(rule => ((string)rule!["Name"]!).ToLowerInvariant(), rule => (string)rule!["Value"]!);
            return (Prefix: rules["prefix"], Suffix: rules["suffix"]);
        }).Order().ToList();

        Assert.Equal([("raw/", ".csv"), ("raw/", "_manifest.json")], filters);
    }

    private System.Text.Json.Nodes.JsonNode LifecycleRuleFor(string prefix) =>
        sut.Json.ResourceOfOutput(OutputNames.BucketName).Properties["LifecycleConfiguration"]!["Rules"]!.AsArray()
            .Single(rule => (string?)rule!["Prefix"] == prefix)!;

    private string FunctionWithHandler(string handler) =>
        sut.Json.Resources("AWS::Lambda::Function").Single(function => (string?)function.Properties["Handler"] == handler).LogicalId;
}
