using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.S3.Notifications;
using Constructs;

namespace KpiPipeline.Infra;

/// <summary>How long the lake keeps what in which storage class.</summary>
public sealed record DataLakeProps
{
    /// <summary>processed/ files are read again only for a recompute: Standard-IA after this many days.</summary>
    public int ProcessedToInfrequentAccessAfterDays { get; init; } = 30;

    /// <summary>…and Glacier Instant Retrieval after this many (still readable in milliseconds).</summary>
    public int ProcessedToGlacierInstantAfterDays { get; init; } = 90;

    /// <summary>Validation and transformation reports are diagnostics, not data: deleted after this many days.</summary>
    public int LogsExpireAfterDays { get; init; } = 90;

    /// <summary>
    /// Every move (raw → validated → processed) and every curated overwrite leaves a noncurrent version;
    /// they are an undo window, not an archive.
    /// </summary>
    public int NoncurrentVersionsExpireAfterDays { get; init; } = 30;
}

/// <summary>The lake bucket (layout in docs/architecture.md) and the prefix-scoped grants on it.</summary>
public sealed class DataLake : Construct
{
    public DataLake(Construct scope, string id, DataLakeProps props)
        : base(scope, id)
    {
        // Who read or wrote what in the lake, kept apart from it: nothing that reads the lake can touch them.
        // SSE-S3, because S3 server access logging cannot deliver into a bucket encrypted with a KMS key.
        AccessLogs = new Bucket(this, "AccessLogs", new BucketProps
        {
            Encryption = BucketEncryption.S3_MANAGED,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            // Owner-enforced: CDK grants the logging service through the bucket policy, not ACLs.
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            EnforceSSL = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
            LifecycleRules = [new LifecycleRule { Id = "access-logs-expire", Expiration = Duration.Days(props.LogsExpireAfterDays) }],
        });

        Bucket = new Bucket(this, "Bucket", new BucketProps
        {
            ServerAccessLogsBucket = AccessLogs,
            ServerAccessLogsPrefix = AccessLogPrefix,
            // SSE-S3 rather than a customer key: no key cost, and no kms grants on every reader and writer.
            Encryption = BucketEncryption.S3_MANAGED,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            EnforceSSL = true,
            Versioned = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
            LifecycleRules =
            [
                new LifecycleRule
                {
                    Id = "processed-to-colder-storage",
                    Prefix = "processed/",
                    Transitions =
                    [
                        new Transition
                        {
                            StorageClass = StorageClass.INFREQUENT_ACCESS,
                            TransitionAfter = Duration.Days(props.ProcessedToInfrequentAccessAfterDays),
                        },
                        new Transition
                        {
                            StorageClass = StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            TransitionAfter = Duration.Days(props.ProcessedToGlacierInstantAfterDays),
                        },
                    ],
                },
                new LifecycleRule
                {
                    Id = "logs-expire",
                    Prefix = "logs/",
                    Expiration = Duration.Days(props.LogsExpireAfterDays),
                },
                new LifecycleRule
                {
                    Id = "noncurrent-versions-and-uploads",
                    NoncurrentVersionExpiration = Duration.Days(props.NoncurrentVersionsExpireAfterDays),
                    AbortIncompleteMultipartUploadAfter = Duration.Days(7),
                    ExpiredObjectDeleteMarker = true,
                },
            ],
        });
    }

    /// <summary>Where the lake's server access logs go, under <see cref="AccessLogPrefix"/>.</summary>
    public const string AccessLogPrefix = "lake/";

    public IBucket Bucket { get; }

    /// <summary>The lake's S3 server access logs: private, encrypted, expiring.</summary>
    public IBucket AccessLogs { get; }

    /// <summary>
    /// Invokes <paramref name="function"/> for every object created under raw/. No suffix filter: S3's
    /// is case-sensitive, while the aggregator takes <c>.csv</c> in any case, as the local run does
    /// (<c>PART-0001.CSV</c> from a Windows export); anything it does not route it acknowledges with a log line.
    /// </summary>
    public void NotifyOnRawUploads(IFunction function) =>
        Bucket.AddEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(function),
            new NotificationKeyFilter { Prefix = "raw/" });

    /// <summary>Read objects under the prefixes and list the bucket (a missing key is then a 404, not a 403).</summary>
    public void GrantRead(IGrantable grantee, params string[] prefixes)
    {
        Grant.AddToPrincipal(new GrantOnPrincipalOptions
        {
            Grantee = grantee,
            Actions = ["s3:ListBucket"],
            ResourceArns = [Bucket.BucketArn],
        });
        Grant.AddToPrincipal(new GrantOnPrincipalOptions
        {
            Grantee = grantee,
            Actions = ["s3:GetObject"],
            ResourceArns = ObjectArns(prefixes),
        });
    }

    /// <summary>Create or overwrite objects under the prefixes (multipart uploads included).</summary>
    public void GrantWrite(IGrantable grantee, params string[] prefixes) =>
        Grant.AddToPrincipal(new GrantOnPrincipalOptions
        {
            Grantee = grantee,
            Actions = ["s3:PutObject", "s3:AbortMultipartUpload"],
            ResourceArns = ObjectArns(prefixes),
        });

    /// <summary>Delete objects under the prefixes: the second half of a move.</summary>
    public void GrantDelete(IGrantable grantee, params string[] prefixes) =>
        Grant.AddToPrincipal(new GrantOnPrincipalOptions
        {
            Grantee = grantee,
            Actions = ["s3:DeleteObject"],
            ResourceArns = ObjectArns(prefixes),
        });

    private string[] ObjectArns(string[] prefixes) =>
        prefixes.Length == 0
            ? throw new ArgumentException("Name at least one prefix; whole-bucket grants are deliberate, not a default.", nameof(prefixes))
            : [.. prefixes.Select(prefix => Bucket.ArnForObjects($"{prefix}*"))];
}
