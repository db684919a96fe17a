using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using DuckDB.NET.Data;
using KpiPipeline.Kpis;
using KpiPipeline.Kpis.Sql;

// kpi-duckdb-bench <lake folder holding raw/> <kpis.json to write>
// Joins the raw CSVs the way the KPI job does (order items to their order and product; a line is returned when its
// item's or its order's status is "Returned" or either has a returned_at; the KPI date is the UTC date of the
// order's created_at; the batch is the items file's date folder), then runs the KPI definitions rendered as SQL.
// Writes the KPIs as `kpi-job kpis --format json` does and prints its peak working set as one JSON line.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: kpi-duckdb-bench <lake folder holding raw/> <kpis.json to write>");
    return 2;
}
var raw = Path.GetFullPath(Path.Combine(args[0], "raw")).Replace('\\', '/');
using var connection = new DuckDBConnection("DataSource=:memory:");
connection.Open();
Execute(connection, "SET TimeZone = 'UTC'");
Execute(connection, $"""
    CREATE TEMP TABLE lines AS
    WITH orders AS (
      SELECT order_id, user_id, trim(status) AS status, CAST(created_at AS TIMESTAMPTZ) AS created_at, returned_at
      FROM read_csv('{raw}/orders/*/*.csv', header = true, all_varchar = true)
    ),
    items AS (
      SELECT id, order_id, product_id, sale_price, quantity, trim(status) AS status, returned_at, filename
      FROM read_csv('{raw}/order_items/*/*.csv', header = true, all_varchar = true, filename = true)
    ),
    products AS (
      SELECT id, category FROM read_csv('{raw}/products/*.csv', header = true, all_varchar = true)
    )
    SELECT CAST(o.created_at AS DATE) AS order_date,
           regexp_extract(i.filename, '/order_items/([0-9-]+)/', 1) AS batch_id,
           'i:' || i.id AS line_key,
           i.order_id, o.user_id, p.category,
           CAST(i.sale_price AS DECIMAL(18,6)) AS sale_price,
           CAST(coalesce(nullif(i.quantity, ''), '1') AS INTEGER) AS quantity,
           CASE WHEN lower(o.status) = 'returned' OR lower(i.status) = 'returned'
                     OR coalesce(o.returned_at, '') <> '' OR coalesce(i.returned_at, '') <> '' THEN 1 ELSE 0 END AS returned
    FROM items i
    JOIN orders o ON o.order_id = i.order_id
    JOIN products p ON p.id = i.product_id
    """);
var dates = new List<DateOnly>();
using (var command = connection.CreateCommand())
{
    command.CommandText = "SELECT DISTINCT order_date FROM lines ORDER BY 1";
    using var reader = command.ExecuteReader();
    while (reader.Read())
        dates.Add(DateOnly.FromDateTime(reader.GetDateTime(0)));
}
await using (var output = File.Create(args[1]))
{
    using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
    json.WriteStartObject();
    foreach (var (grain, name) in new[] { (KpiGrain.Daily, "daily"), (KpiGrain.Category, "category") })
    {
        json.WriteStartArray(name);
        using var command = connection.CreateCommand();
        command.CommandText = KpiSqlRenderer.Render(grain, "lines", dates, SqlDialect.Spark);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            json.WriteStartObject();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var value = reader.GetValue(i);
                switch (value)
                {
                    case DateTime date:
                        json.WriteString(reader.GetName(i), date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                        break;
                    case DateOnly date:
                        json.WriteString(reader.GetName(i), date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                        break;
                    case string text:
                        json.WriteString(reader.GetName(i), text);
                        break;
                    case DBNull:
                        json.WriteNumber(reader.GetName(i), 0);
                        break;
                    default:
                        json.WriteNumber(reader.GetName(i), Number(value));
                        break;
                }
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
    json.WriteEndObject();
}
Console.WriteLine(JsonSerializer.Serialize(new { peak_working_set_bytes = Process.GetCurrentProcess().PeakWorkingSet64 }));
return 0;

static void Execute(DuckDBConnection connection, string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}

// Canonical like kpi-job's JSON (no trailing zeros), so equal KPIs print equal.
static decimal Number(object value)
{
    var number = value switch
    {
        decimal d => d,
        double d => (decimal)d,
        BigInteger b => (decimal)b,
        _ => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
    };
    return decimal.Parse(number.ToString("G29", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
}
