using System.CommandLine;
using System.Globalization;
using KpiPipeline.Lake;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>Options several commands share, declared once.</summary>
internal static class CommonOptions
{
    public static Option<string?> Lake() => new("--lake")
    {
        Description = "A local folder used as the bucket (the embedded default; KPIs go to <folder>/kpis.db).",
    };

    public static Option<string?> Bucket() => new("--bucket")
    {
        Description = "An S3 bucket; KPIs go to DynamoDB. Configured by the AWS default chain and AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB.",
    };

    public static Option<string> Engine() => new("--engine")
    {
        Description = "Where KPIs are computed: inprocess (default) or spark.",
        DefaultValueFactory = _ => "inprocess",
    };

    public static Option<string?> SparkRemote() => new("--spark-remote")
    {
        Description = "Spark Connect connection string, sc://host:15002/;token=…;use_ssl=true (with --engine spark).",
    };

    public static Option<bool> Verbose() => new("--verbose", "-v")
    {
        Description = "Log progress details to standard error.",
    };

    public static Option<DateOnly?> Date(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (LakeLayout.TryParseDate(text, out var date))
                return date;
            result.AddError($"{name} must be a date like 2024-03-01, not '{text}'");
            return null;
        },
    };

    public static Option<string> Format(params string[] allowed)
    {
        var option = new Option<string>("--format")
        {
            Description = $"Output format: {string.Join(", ", allowed)}.",
            DefaultValueFactory = _ => allowed[0],
        };
        option.AcceptOnlyFromAmong(allowed);
        return option;
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
