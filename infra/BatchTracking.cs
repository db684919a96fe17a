using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.IAM;
using Constructs;

namespace KpiPipeline.Infra;

/// <summary>The aggregator's per-batch file tracker and the per-date lease the state machine takes.</summary>
public sealed class BatchTracking : Construct
{
    /// <summary>The lease's expiry (epoch seconds); DynamoDB TTL removes long-expired leases.</summary>
    public const string LeaseExpiryAttribute = "expires_at";

    public BatchTracking(Construct scope, string id)
        : base(scope, id)
    {
        Tracker = new Table(this, "Tracker", TableDefaults.With(TableDefaults.StringKey("BatchId")));
        // TTL is safe on the lease: an expired lease may be taken anyway, so deleting it changes nothing.
        Locks = new Table(this, "Locks",
            TableDefaults.With(TableDefaults.StringKey("LockId"), timeToLiveAttribute: LeaseExpiryAttribute));
    }

    public ITable Tracker { get; }

    public ITable Locks { get; }

    /// <summary>The aggregator updates items atomically; the sweeper scans for stale ones.</summary>
    public void GrantTrackerReadWrite(IGrantable grantee) =>
        TableDefaults.Grant(grantee, Tracker, "GetItem", "UpdateItem", "Query", "Scan");

    /// <summary>Acquire is a conditional put/update, release a conditional delete/update.</summary>
    public void GrantLockReadWrite(IGrantable grantee) =>
        TableDefaults.Grant(grantee, Locks, "GetItem", "PutItem", "UpdateItem", "DeleteItem");
}
