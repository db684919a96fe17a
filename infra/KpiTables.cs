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
        var daily = new Table(this, "DailyKpis", TableDefaults.With(TableDefaults.StringKey("date_key")));
        var category = new Table(this, "CategoryKpis",
            TableDefaults.With(TableDefaults.StringKey("category"), TableDefaults.StringKey("date_key")));
        foreach (var table in new[] { daily, category })
        {
            table.AddGlobalSecondaryIndex(new GlobalSecondaryIndexProps
            {
                IndexName = ByMonthIndex,
                PartitionKey = TableDefaults.StringKey("month"),
                SortKey = TableDefaults.StringKey("date_key"),
                ProjectionType = ProjectionType.ALL,
            });
        }
        Daily = daily;
        Category = category;
    }

    /// <summary>Date-range reads are a Query per month on this index (adapters/dynamodb PipelineTables).</summary>
    public const string ByMonthIndex = "by_month";

    public ITable Daily { get; }

    public ITable Category { get; }

    /// <summary>The variables the KPI job reads the generated table names from (docs/architecture.md).</summary>
    public IDictionary<string, string> EnvironmentVariables => new Dictionary<string, string>
    {
        ["DAILY_KPIS_TABLE"] = Daily.TableName,
        ["CATEGORY_KPIS_TABLE"] = Category.TableName,
    };

    /// <summary>
    /// The KPI job replaces a date's rows by key: it reads the dates' daily items (their category lists) with
    /// BatchGetItem, then puts and deletes with BatchWriteItem. No Scan, no Query.
    /// </summary>
    public void GrantWrite(IGrantable grantee)
    {
        TableDefaults.Grant(grantee, Daily, "BatchGetItem", "BatchWriteItem", "PutItem");
        TableDefaults.Grant(grantee, Category, "BatchWriteItem", "PutItem");
    }

    /// <summary>Readers of date ranges: by key and by Query on the month index.</summary>
    public void GrantReadByKey(IGrantable grantee)
    {
        foreach (var table in new[] { Daily, Category })
        {
            Amazon.CDK.AWS.IAM.Grant.AddToPrincipal(new GrantOnPrincipalOptions
            {
                Grantee = grantee,
                Actions = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"],
                ResourceArns = [table.TableArn, $"{table.TableArn}/index/{ByMonthIndex}"],
            });
        }
    }
}
