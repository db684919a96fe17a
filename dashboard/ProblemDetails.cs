using System.Text.Encodings.Web;
using System.Text.Json;

namespace KpiPipeline.Dashboard;

/// <summary>RFC 7807 problem details, written the same way by both hosts.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    /// <summary>A parameter the caller got wrong: 400, naming it in <c>parameter</c> and in the detail.</summary>
    public static DashboardResponse BadParameter(string instance, string parameter, string detail) =>
        Write(400, "Bad Request", $"{parameter}: {detail}", instance, "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1", parameter);

    public static DashboardResponse NotFound(string instance, string detail) =>
        Write(404, "Not Found", detail, instance, "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5");

    public static DashboardResponse MethodNotAllowed(string instance, string method) =>
        Write(405, "Method Not Allowed", $"{method} is not allowed; the dashboard is read-only and answers GET only.", instance,
            "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6");

    /// <summary>The KPI store or the lake failed: 502, since the fault is behind this service.</summary>
    public static DashboardResponse Upstream(string instance, string detail) =>
        Write(502, "Bad Gateway", detail, instance, "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.3");

    public static DashboardResponse Write(int status, string title, string detail, string instance, string type, string? parameter = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            json.WriteString("instance", instance);
            if (parameter is not null)
                json.WriteString("parameter", parameter);
            json.WriteEndObject();
        }
        return new DashboardResponse(status, ContentType, buffer.ToArray());
    }
}
