using System.Globalization;
using KpiPipeline.Kpis;
using KpiPipeline.Kpis.Sql;
using Microsoft.Data.Sqlite;

namespace KpiPipeline.Core.Tests.Kpis;

/// <summary>
/// One definition, two engines: the SQL rendered from <see cref="KpiDefinitions"/> runs on SQLite over the same
/// curated lines and must give exactly what the in-process engine gives. Spark runs the same query text.
/// </summary>
public sealed class KpiSqlRendererTests
{
    [Theory]
    [InlineData(1, 40)]
    [InlineData(2, 400)]
    [InlineData(3, 3000)]
    public void Render_RunOnSqlite_EqualsInProcessEngine(int seed, int count)
    {
        var lines = RandomLines.Create(seed, count);
        var dates = lines.Select(l => l.Date).Distinct().ToArray();

        var expected = RandomLines.InProcess(lines).Sorted();
        var actual = RunOnSqlite(lines, dates).Sorted();

        Assert.Equal(expected.Daily, actual.Daily);
        Assert.Equal(expected.Category, actual.Category);
    }

    [Fact]
    public void Render_OnlyRequestedDates_AreComputed()
    {
        var lines = RandomLines.Create(seed: 4, count: 200);
        var first = new DateOnly(2024, 1, 1);

        var actual = RunOnSqlite(lines, [first]);

        Assert.All(actual.Daily, d => Assert.Equal(first, d.Date));
        Assert.All(actual.Category, c => Assert.Equal(first, c.Date));
        Assert.Single(actual.Daily);
    }

    [Fact]
    public void Render_Spark_UsesExactDecimalDivision()
    {
        var sql = KpiSqlRenderer.Render(KpiGrain.Daily, "order_lines", [new DateOnly(2024, 1, 1)], SqlDialect.Spark);

        Assert.Contains("AS DECIMAL(38,18)", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("REAL", sql, StringComparison.Ordinal);
        Assert.Contains("WHERE order_date IN ('2024-01-01')", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NoDates_Throws() =>
        Assert.Throws<ArgumentException>(() => KpiSqlRenderer.Render(KpiGrain.Daily, "order_lines", [], SqlDialect.Sqlite));

    private static KpiSnapshot RunOnSqlite(List<OrderLine> lines, IReadOnlyCollection<DateOnly> dates)
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        Execute(connection, """
            CREATE TABLE order_lines (order_date TEXT, batch_id TEXT, line_key TEXT, order_id TEXT, user_id TEXT,
              product_id TEXT, category TEXT, sale_price NUMERIC, quantity INTEGER, returned INTEGER)
            """);
        using (var transaction = connection.BeginTransaction())
        {
            foreach (var line in lines)
            {
                using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO order_lines VALUES ($d, $b, $k, $o, $u, $p, $c, $s, $q, $r)";
                insert.Parameters.AddWithValue("$d", line.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                insert.Parameters.AddWithValue("$b", line.BatchId);
                insert.Parameters.AddWithValue("$k", line.LineKey);
                insert.Parameters.AddWithValue("$o", line.OrderId);
                insert.Parameters.AddWithValue("$u", line.UserId);
                insert.Parameters.AddWithValue("$p", line.ProductId);
                insert.Parameters.AddWithValue("$c", line.Category);
                insert.Parameters.AddWithValue("$s", line.SalePrice);
                insert.Parameters.AddWithValue("$q", line.Quantity);
                insert.Parameters.AddWithValue("$r", line.Returned ? 1 : 0);
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
        }

        var daily = Query(connection, KpiSqlRenderer.Render(KpiGrain.Daily, "order_lines", dates, SqlDialect.Sqlite), r => new DailyKpi(
            DateOnly.Parse(r.GetString(0), CultureInfo.InvariantCulture), r.GetInt64(1), Money(r, 2), r.GetInt64(3), Rate(r, 4), r.GetInt64(5)));
        var categories = Query(connection, KpiSqlRenderer.Render(KpiGrain.Category, "order_lines", dates, SqlDialect.Sqlite), r => new CategoryKpi(
            r.GetString(0), DateOnly.Parse(r.GetString(1), CultureInfo.InvariantCulture), Money(r, 2), Money(r, 3), Rate(r, 4)));
        return new KpiSnapshot(daily, categories);
    }

    // SQLite computes in binary floating point; its ROUND leaves the nearest double to the decimal result.
    private static decimal Money(SqliteDataReader reader, int ordinal) => Math.Round((decimal)reader.GetDouble(ordinal), 2);

    private static decimal Rate(SqliteDataReader reader, int ordinal) => Math.Round((decimal)reader.GetDouble(ordinal), 4);

    private static List<T> Query<T>(SqliteConnection connection, string sql, Func<SqliteDataReader, T> map)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
            rows.Add(map(reader));
        return rows;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
