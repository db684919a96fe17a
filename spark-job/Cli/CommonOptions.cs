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

    /// <summary>The defaults of --engine and --spark-remote, so a container's task definition can choose them (the state machine's command stays the same).</summary>
    public const string EngineVariable = "KPI_ENGINE";
    public const string SparkRemoteVariable = "KPI_SPARK_REMOTE";

    public static Option<string> Engine() => new("--engine")
    {
        Description = $"Where KPIs are computed: inprocess or spark (default: ${EngineVariable}, else inprocess).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(EngineVariable) is { Length: > 0 } engine ? engine : "inprocess",
    };

    public static Option<string?> SparkRemote() => new("--spark-remote")
    {
        Description = $"Spark Connect connection string, sc://host:15002/;token=…;use_ssl=true (with --engine spark; default: ${SparkRemoteVariable}).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(SparkRemoteVariable) is { Length: > 0 } remote ? remote : null,
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
