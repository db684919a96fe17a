using System.Globalization;
using System.Text.Json;
using KpiPipeline.Kpis;
using KpiPipeline.Lake;

namespace KpiPipeline.Dashboard;

/// <summary>The API's JSON: the KPI tables' column names (as <c>kpi-job kpis --format json</c>), ISO dates, decimals as numbers.</summary>
internal static class DashboardJson
{
    public static void WriteDaily(Utf8JsonWriter json, DailyKpi row)
    {
        json.WriteStartObject();
        json.WriteString("date_key", LakeLayout.FormatDate(row.Date));
        json.WriteNumber("total_orders", row.TotalOrders);
        json.WriteNumber("total_revenue", Canonical(row.TotalRevenue));
        json.WriteNumber("total_items_sold", row.TotalItemsSold);
        json.WriteNumber("return_rate", Canonical(row.ReturnRate));
        json.WriteNumber("unique_customers", row.UniqueCustomers);
        json.WriteEndObject();
    }

    public static void WriteCategory(Utf8JsonWriter json, CategoryKpi row)
    {
        json.WriteStartObject();
        json.WriteString("category", row.Category);
        json.WriteString("date_key", LakeLayout.FormatDate(row.Date));
        json.WriteNumber("daily_revenue", Canonical(row.DailyRevenue));
        json.WriteNumber("avg_order_value", Canonical(row.AvgOrderValue));
        json.WriteNumber("avg_return_rate", Canonical(row.AvgReturnRate));
        json.WriteEndObject();
    }

    public static void WriteWeekOverWeek(Utf8JsonWriter json, WeekOverWeekChange change)
    {
        json.WriteStartObject();
        json.WriteString("to", LakeLayout.FormatDate(change.To));
        json.WriteString("this_week_from", LakeLayout.FormatDate(change.To.AddDays(-6)));
        json.WriteString("previous_week_from", LakeLayout.FormatDate(change.To.AddDays(-13)));
        json.WriteStartArray("metrics");
        foreach (var metric in change.Metrics)
        {
            json.WriteStartObject();
            json.WriteString("metric", metric.Name);
            json.WriteNumber("this_week", Canonical(metric.ThisWeek));
            json.WriteNumber("previous_week", Canonical(metric.PreviousWeek));
            if (metric.Change is { } value)
                json.WriteNumber("change", Canonical(value));
            else
                json.WriteNull("change");
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static void WriteBatch(Utf8JsonWriter json, BatchStatus batch)
    {
        json.WriteStartObject();
        json.WriteString("batch_id", batch.BatchId);
        json.WriteNumber("version", batch.Version);
        json.WriteString("state", batch.State.ToString().ToLowerInvariant());
        json.WriteString("created_at", batch.CreatedAt.UtcDateTime);
        WriteOptional(json, "validated_at", batch.ValidatedAt);
        if (batch.TransformMilliseconds is { } ms)
            json.WriteNumber("transform_ms", ms);
        else
            json.WriteNull("transform_ms");
        json.WriteString("manifest_key", batch.ManifestKey);
        if (batch.ValidationReportKey is not null)
            json.WriteString("validation", ValidationPath(batch.BatchId, batch.Version));
        else
            json.WriteNull("validation");
        if (batch.RejectionReason is not null)
            json.WriteString("rejection_reason", batch.RejectionReason);
        else
            json.WriteNull("rejection_reason");
        json.WriteEndObject();
    }

    public static string ValidationPath(string batchId, int version) =>
        $"api/batches/{batchId}/v{version.ToString("D4", CultureInfo.InvariantCulture)}/validation";

    public static string ObjectPath(string key) => "api/objects?key=" + Uri.EscapeDataString(key);

    /// <summary>The report's outcome, each file's rejects by rule and profile, and links to its rejects and errors objects.</summary>
    public static void WriteValidationReport(Utf8JsonWriter json, string reportKey, JsonElement report)
    {
        json.WriteStartObject();
        json.WriteString("report_key", reportKey);
        foreach (var name in (string[])["batch_id", "version", "manifest_key", "outcome", "rejection_reason", "validated_at", "summary_key"])
        {
            if (report.TryGetProperty(name, out var value))
            {
                json.WritePropertyName(name);
                value.WriteTo(json);
            }
        }
        json.WriteStartArray("files");
        long rejected = 0;
        if (report.TryGetProperty("files", out var files) && files.ValueKind == JsonValueKind.Array)
        {
            foreach (var file in files.EnumerateArray())
            {
                json.WriteStartObject();
                foreach (var name in (string[])["key", "dataset", "disposition", "destination", "rows_read", "accepted", "rejected", "rejected_by_rule", "file_error"])
                {
                    if (file.TryGetProperty(name, out var value))
                    {
                        json.WritePropertyName(name);
                        value.WriteTo(json);
                    }
                }
                if (file.TryGetProperty("rejected", out var count) && count.TryGetInt64(out var n))
                    rejected += n;
                json.WritePropertyName("profile");
                if (file.TryGetProperty("quality", out var quality) && quality.ValueKind == JsonValueKind.Object && quality.TryGetProperty("profile", out var profile))
                    profile.WriteTo(json);
                else
                    json.WriteNullValue();
                WriteLink(json, "rejects", file, "rejects_key");
                WriteLink(json, "errors", file, "errors_key");
                json.WriteEndObject();
            }
        }
        json.WriteEndArray();
        json.WriteNumber("rows_rejected", rejected);
        json.WriteEndObject();
    }

    private static void WriteLink(Utf8JsonWriter json, string name, JsonElement file, string keyProperty)
    {
        json.WritePropertyName(name);
        if (file.TryGetProperty(keyProperty, out var key) && key.ValueKind == JsonValueKind.String && key.GetString() is { Length: > 0 } text)
        {
            json.WriteStartObject();
            json.WriteString("key", text);
            json.WriteString("href", ObjectPath(text));
            json.WriteEndObject();
        }
        else
        {
            json.WriteNullValue();
        }
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } at)
            json.WriteString(name, at.UtcDateTime);
        else
            json.WriteNull(name);
    }

    /// <summary>The same value prints the same whatever the store kept (DynamoDB drops trailing zeros: 41.30 → 41.3).</summary>
    public static decimal Canonical(decimal value) => decimal.Parse(value.ToString("G29", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
}
