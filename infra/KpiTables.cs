using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.IAM;
using Constructs;

namespace KpiPipeline.Infra;

/// <summary>The two KPI tables the KPI job writes and users query.</summary>
public sealed class KpiTables : Construct
{
    public KpiTables(Construct scope, string id)
        : base(scope, id)
    {
        Daily = new Table(this, "DailyKpis", TableDefaults.With(TableDefaults.StringKey("date_key")));
        Category = new Table(this, "CategoryKpis",
            TableDefaults.With(TableDefaults.StringKey("category"), TableDefaults.StringKey("date_key")));
    }

    public ITable Daily { get; }

    public ITable Category { get; }

    /// <summary>The variables the KPI job reads the generated table names from (docs/architecture.md).</summary>
    public IDictionary<string, string> EnvironmentVariables => new Dictionary<string, string>
    {
        ["DAILY_KPIS_TABLE"] = Daily.TableName,
        ["CATEGORY_KPIS_TABLE"] = Category.TableName,
    };

    /// <summary>
    /// The KPI job replaces a date's rows with BatchWriteItem (puts, and deletes of rows the date no longer has,
    /// which it finds with a filtered Scan: the category table is keyed by category first).
    /// </summary>
    public void GrantWrite(IGrantable grantee)
    {
        TableDefaults.Grant(grantee, Daily, "BatchWriteItem", "PutItem", "Scan");
        TableDefaults.Grant(grantee, Category, "BatchWriteItem", "PutItem", "Scan");
    }
}
