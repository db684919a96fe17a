using System.Data.Common;
using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using KpiPipeline.SparkJob.Tests.SparkConnect.Wire;

namespace KpiPipeline.SparkJob.Tests.SparkConnect.DuckDb;

/// <summary>
/// A Spark session for the fake server whose SQL engine is DuckDB: each ExecutePlan's SQL is translated
/// (<see cref="SparkSqlOnDuckDb"/>) and executed in one in-memory DuckDB database, statements answered with a
/// command result, queries with their rows as Arrow batches in Spark's result types, SQL errors as Spark's INTERNAL
/// status. Every SQL text received is kept, so tests can see exactly what would have reached Spark.
/// </summary>
internal sealed partial class DuckDbSparkSession : IDisposable
{
    /// <summary>Small batches, so every result of a few rows arrives in several ArrowBatch responses.</summary>
    private const int RowsPerBatch = 3;

    private readonly DuckDBConnection _connection = new("DataSource=:memory:");
    private readonly List<string> _sql = [];
    private readonly Lock _gate = new();

    public DuckDbSparkSession()
    {
        _connection.Open();
        Execute(SparkSqlOnDuckDb.Macros);
    }

    public IReadOnlyList<string> ReceivedSql
    {
        get
        {
            lock (_gate)
                return [.. _sql];
        }
    }

    /// <summary>What AnalyzePlan spark_version answers.</summary>
    public const string Version = "4.0.1 (DuckDB stand-in)";

    public async Task HandleAsync(FakeCall call)
    {
        if (call.Request.Method == "AnalyzePlan")
        {
            await call.WriteAsync(new WireBuilder("AnalyzePlanResponse").Set("session_id", call.SessionId)
                .Set("spark_version", new WireBuilder("AnalyzePlanResponse.SparkVersion").Set("version", Version)));
            call.Finish();
            return;
        }

        var sql = call.Request.Sql!;
        lock (_gate)
            _sql.Add(sql);
        List<WireBuilder> responses;
        try
        {
            responses = call.Request.PlanShape == "command.sql_command" ? Statement(sql) : Query(sql);
        }
        catch (DbException ex)
        {
            call.Finish(13, Uri.EscapeDataString($"[DUCKDB] {ex.Message}"));
            return;
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidCastException or FormatException)
        {
            // A gap in this test double, reported to the test instead of as an HTTP 500.
            call.Finish(13, Uri.EscapeDataString($"[FAKE SPARK] {ex.GetType().Name}: {ex.Message}"));
            return;
        }

        await call.RespondAsync(responses);
    }

    public void Dispose() => _connection.Dispose();

    private List<WireBuilder> Statement(string sql)
    {
        lock (_gate)
            Execute(SparkSqlOnDuckDb.Translate(sql));
        return [SparkResponses.CommandResult(), SparkResponses.Metrics()];
    }

    private List<WireBuilder> Query(string sql)
    {
        List<string> names;
        List<string> types;
        List<object?[]> rows = [];
        lock (_gate)
        {
            // Through a table, so its column types can be read with their precision and scale.
            Execute($"CREATE OR REPLACE TEMP TABLE spark_result AS {SparkSqlOnDuckDb.Translate(sql)}");
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'spark_result' ORDER BY column_index";
            names = [];
            types = [];
            using (var schema = command.ExecuteReader())
            {
                while (schema.Read())
                {
                    names.Add(schema.GetString(0));
                    types.Add(schema.GetString(1));
                }
            }

            command.CommandText = "SELECT * FROM spark_result";
            using var reader = command.ExecuteReader();
            while (reader.Read())
                rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i))]);
        }

        var batches = rows.Chunk(RowsPerBatch).Select(chunk => SparkResponses.Batch(ToArrow(names, types, chunk))).ToList();
        if (batches.Count == 0)
            batches.Add(SparkResponses.Batch(ToArrow(names, types, [])));
        return [SparkResponses.Schema(), .. batches, SparkResponses.Metrics()];
    }

    /// <summary>Spark's Arrow result types for DuckDB's: SUM of an INT is BIGINT in Spark (a HUGEINT in DuckDB).</summary>
    private static ArrowTable ToArrow(List<string> names, List<string> types, IReadOnlyList<object?[]> rows)
    {
        var table = new ArrowTable();
        for (var c = 0; c < names.Count; c++)
        {
            var column = c;
            var type = types[c];
            if (DecimalType().Match(type) is { Success: true } decimalType)
            {
                table.Decimal(names[c], int.Parse(decimalType.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(decimalType.Groups[2].Value, CultureInfo.InvariantCulture),
                    [.. rows.Select(r => (decimal?)r[column])]);
                continue;
            }

            _ = type switch
            {
                "BIGINT" or "HUGEINT" or "INTEGER" => table.Int64(names[c], [.. rows.Select(r => r[column] switch
                {
                    null => (long?)null,
                    BigInteger big => (long)big,
                    var value => Convert.ToInt64(value, CultureInfo.InvariantCulture),
                })]),
                "DATE" => table.Date(names[c], [.. rows.Select(r => r[column] switch
                {
                    null => (DateOnly?)null,
                    DateOnly date => date,
                    DateTime dateTime => DateOnly.FromDateTime(dateTime),
                    var value => throw new NotSupportedException($"DATE as {value.GetType()}"),
                })]),
                "VARCHAR" => table.String(names[c], [.. rows.Select(r => (string?)r[column])]),
                "BOOLEAN" => table.Boolean(names[c], [.. rows.Select(r => (bool?)r[column])]),
                "DOUBLE" => table.Double(names[c], [.. rows.Select(r => (double?)r[column])]),
                _ => throw new NotSupportedException($"No Spark result type for DuckDB's {type} ({names[c]})."),
            };
        }

        return table;
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [GeneratedRegex(@"^DECIMAL\((\d+),(\d+)\)$")]
    private static partial Regex DecimalType();
}
