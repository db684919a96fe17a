using System.Text;
using System.Text.RegularExpressions;

namespace KpiPipeline.SparkJob.Tests.SparkConnect.DuckDb;

/// <summary>
/// Runs the Spark SQL the engine sends on DuckDB by translating only the constructs whose meaning differs between the
/// two dialects; everything else (CTEs, ROW_NUMBER, COUNT(DISTINCT), CASE, NULLIF, ROUND on decimals, DATE literals,
/// DECIMAL casts and arithmetic, IN lists, GROUP BY/ORDER BY) is passed through untouched. The translations:
/// <list type="number">
/// <item><c>CREATE OR REPLACE TEMPORARY VIEW v (schema) USING parquet OPTIONS (path '…', pathGlobFilter '…')</c>
/// (Spark's data-source view) becomes a view over DuckDB's <c>read_parquet</c> of the same folder with Hive
/// partitioning, the partition column typed as the schema says; the <c>path</c> is resolved the way Hadoop's
/// <c>Path(String)</c> does (<see cref="HadoopPathModel"/>). An empty folder is an empty relation, as in Spark.</item>
/// <item>Backquoted identifiers (<c>`date`</c>) become double-quoted ones.</item>
/// <item>String literals: Spark's backslash escapes (<c>\'</c>, <c>\\</c>) become the standard doubled quote.</item>
/// <item><c>CAST(a AS DECIMAL(38,18)) / CAST(b AS DECIMAL(38,0))</c>: Spark divides decimals exactly (result
/// DECIMAL(38,18), rounded half up), DuckDB returns a DOUBLE; the division becomes the exact macro
/// <c>spark_decimal_divide</c>.</item>
/// <item><c>INSERT OVERWRITE DIRECTORY '…' USING parquet query</c> (spark-check's writes) becomes <c>COPY (query) TO
/// '…/part-00000.parquet'</c> into the emptied folder, as Spark replaces the folder's files with its part files.</item>
/// <item><c>CAST(… AS TIMESTAMP)</c>: Spark's TIMESTAMP is an instant, DuckDB's TIMESTAMPTZ.</item>
/// <item>Spark's type names in the view schema: <c>STRING</c> is VARCHAR, <c>TIMESTAMP</c> (an instant) is TIMESTAMPTZ, and a
/// <c>DECIMAL(p,s)</c> column is DECIMAL(38,s): Spark widens a decimal product (DECIMAL(18,6) × INT is DECIMAL(29,6)),
/// DuckDB multiplies within the operand's 18 digits and overflows. The values are the same.</item>
/// </list>
/// </summary>
internal static partial class SparkSqlOnDuckDb
{
    /// <summary>
    /// Spark's decimal division for DECIMAL(38,18) / DECIMAL(38,0): the exact quotient rounded half up to 18 places.
    /// (Spark first rounds to 38 places, then to 18; the two differ only when places 19–38 are all nines, which needs a
    /// divisor above 10^20 — far beyond any count here.) DuckDB prints a DECIMAL(38,18) with all 18 places, which gives
    /// its scaled integer exactly; the result is built back through text for the same reason.
    /// </summary>
    public const string Macros = """
        CREATE OR REPLACE MACRO spark_scaled_18(a) AS CAST(replace(CAST(CAST(a AS DECIMAL(38,18)) AS VARCHAR), '.', '') AS HUGEINT);
        CREATE OR REPLACE MACRO spark_quotient_18(n, d) AS
          (CASE WHEN (abs(n) % abs(d)) * 2 >= abs(d) THEN abs(n) // abs(d) + 1 ELSE abs(n) // abs(d) END) * sign(n) * sign(d);
        CREATE OR REPLACE MACRO spark_from_scaled_18(q) AS CAST(
          (CASE WHEN q < 0 THEN '-' ELSE '' END)
          || CAST(abs(q) // CAST('1000000000000000000' AS HUGEINT) AS VARCHAR) || '.'
          || lpad(CAST(abs(q) % CAST('1000000000000000000' AS HUGEINT) AS VARCHAR), 18, '0') AS DECIMAL(38,18));
        CREATE OR REPLACE MACRO spark_decimal_divide(a, b) AS
          CASE WHEN b IS NULL OR b = 0 THEN NULL ELSE spark_from_scaled_18(spark_quotient_18(spark_scaled_18(a), CAST(b AS HUGEINT))) END;
        """;

    /// <summary>The DuckDB statement for one Spark statement or query.</summary>
    public static string Translate(string sparkSql)
    {
        var sql = TimestampCast().Replace(Tokens(sparkSql), "AS TIMESTAMPTZ)");
        var view = SparkParquetView().Match(sql);
        if (view.Success)
            return TranslateView(view);
        var insert = InsertOverwriteDirectory().Match(sql);
        if (!insert.Success)
            return TranslateDivisions(sql);
        var folder = HadoopPathModel.LocalFolder(insert.Groups["path"].Value.Replace("''", "'", StringComparison.Ordinal));
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "part-00000.parquet").Replace("'", "''", StringComparison.Ordinal);
        return $"COPY ({TranslateDivisions(insert.Groups["query"].Value)}) TO '{file}' (FORMAT parquet)";
    }

    private static string TranslateView(Match view)
    {
        var name = view.Groups["name"].Value;
        var columns = SchemaColumns(view.Groups["schema"].Value);
        var options = Options(view.Groups["options"].Value);
        var folder = HadoopPathModel.LocalFolder(options["path"]);
        var glob = options.GetValueOrDefault("pathglobfilter", "*");
        var partition = columns.Single(c => c.Name == "date");
        var projection = string.Join(", ", columns.Select(c => $"CAST(\"{c.Name}\" AS {c.Type}) AS \"{c.Name}\""));
        // The curated layout: <folder>/date=YYYY-MM-DD/<file>; Spark's partition discovery reads folders only.
        var files = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, glob, SearchOption.AllDirectories).ToList() : [];
        if (files.Count == 0)
            return $"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {string.Join(", ", columns.Select(c => $"CAST(NULL AS {c.Type}) AS \"{c.Name}\""))} WHERE false";
        var pattern = Path.Combine(folder, "*", glob).Replace("'", "''", StringComparison.Ordinal);
        return $"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {projection} FROM read_parquet('{pattern}', hive_partitioning = true, hive_types = {{'date': {partition.Type}}}, union_by_name = true)";
    }

    private static List<(string Name, string Type)> SchemaColumns(string schema) =>
        [.. SchemaColumn().Matches(schema).Select(m => (m.Groups["name"].Value, m.Groups["type"].Value switch
        {
            "STRING" => "VARCHAR",
            "TIMESTAMP" => "TIMESTAMPTZ",
            var type when type.StartsWith("DECIMAL(", StringComparison.Ordinal) => $"DECIMAL(38,{type.Split(',')[1]}",
            var type => type,
        }))];

    private static Dictionary<string, string> Options(string options) =>
        OptionPattern().Matches(options).ToDictionary(m => m.Groups["key"].Value.ToLowerInvariant(), m => m.Groups["value"].Value.Replace("''", "'", StringComparison.Ordinal));

    /// <summary>Replaces each <c>CAST(…) / CAST(…)</c> by the exact macro; any other division is a test failure.</summary>
    private static string TranslateDivisions(string sql)
    {
        while (true)
        {
            var slash = sql.IndexOf(") / CAST(", StringComparison.Ordinal);
            if (slash < 0)
                return sql.Contains(" / ", StringComparison.Ordinal)
                    ? throw new NotSupportedException("A division the DuckDB translation does not know; add it to the list above.")
                    : sql;
            var leftStart = MatchingOpen(sql, slash) - "CAST".Length;
            var rightStart = slash + ") / ".Length;
            var rightEnd = MatchingClose(sql, rightStart + "CAST".Length) + 1;
            var left = sql[leftStart..(slash + 1)];
            var right = sql[rightStart..rightEnd];
            if (!left.StartsWith("CAST(", StringComparison.Ordinal) || !left.EndsWith(" AS DECIMAL(38,18))", StringComparison.Ordinal)
                || !right.EndsWith(" AS DECIMAL(38,0))", StringComparison.Ordinal))
                throw new NotSupportedException($"A decimal division of another shape: {left} / {right}");
            sql = string.Concat(sql.AsSpan(0, leftStart), $"spark_decimal_divide({left}, {right})", sql.AsSpan(rightEnd));
        }
    }

    private static int MatchingOpen(string sql, int close)
    {
        var depth = 0;
        for (var i = close; i >= 0; i--)
        {
            depth += sql[i] switch { ')' => 1, '(' => -1, _ => 0 };
            if (depth == 0)
                return i;
        }

        throw new FormatException("Unbalanced parentheses.");
    }

    private static int MatchingClose(string sql, int open)
    {
        var depth = 0;
        for (var i = open; i < sql.Length; i++)
        {
            depth += sql[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth == 0)
                return i;
        }

        throw new FormatException("Unbalanced parentheses.");
    }

    /// <summary>Rewrites literals and quoted identifiers (translations 2 and 3), leaving everything else as it is.</summary>
    private static string Tokens(string sql)
    {
        var output = new StringBuilder(sql.Length);
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            if (c == '`')
            {
                var end = sql.IndexOf('`', i + 1);
                output.Append('"').Append(sql.AsSpan(i + 1, end - i - 1)).Append('"');
                i = end;
            }
            else if (c == '\'')
            {
                output.Append('\'');
                for (i++; sql[i] != '\''; i++)
                {
                    if (sql[i] == '\\')
                        i++; // Spark: a backslash takes the next character literally
                    output.Append(sql[i] == '\'' ? "''" : sql[i].ToString());
                }

                output.Append('\'');
            }
            else
            {
                output.Append(c);
            }
        }

        return output.ToString();
    }

    [GeneratedRegex("""^\s*CREATE OR REPLACE TEMPORARY VIEW (?<name>\w+) \((?<schema>[^)]*(?:\([^)]*\)[^)]*)*)\)\s*USING parquet\s*OPTIONS \((?<options>.*)\)\s*$""", RegexOptions.Singleline)]
    private static partial Regex SparkParquetView();

    [GeneratedRegex("""^\s*INSERT OVERWRITE DIRECTORY '(?<path>(?:[^']|'')*)' USING parquet\s+(?<query>.*)$""", RegexOptions.Singleline)]
    private static partial Regex InsertOverwriteDirectory();

    [GeneratedRegex(@"\bAS TIMESTAMP\)")]
    private static partial Regex TimestampCast();

    [GeneratedRegex(@"""?(?<name>\w+)""? (?<type>\w+(?:\(\d+,\d+\))?)")]
    private static partial Regex SchemaColumn();

    [GeneratedRegex("""(?<key>\w+) '(?<value>(?:[^']|'')*)'""")]
    private static partial Regex OptionPattern();
}

/// <summary>
/// An independent model of Hadoop's <c>new Path(String)</c> for <c>file:</c> paths: the scheme is what precedes the
/// first ':' when that comes before any '/', an authority follows "//" up to the next '/', and the rest is the path
/// taken verbatim — no percent-decoding, no query or fragment.
/// </summary>
internal static class HadoopPathModel
{
    public static string LocalFolder(string pathString)
    {
        var colon = pathString.IndexOf(':', StringComparison.Ordinal);
        var slash = pathString.IndexOf('/', StringComparison.Ordinal);
        var start = 0;
        string? scheme = null;
        if (colon != -1 && (slash == -1 || colon < slash))
        {
            scheme = pathString[..colon];
            start = colon + 1;
        }

        if (pathString.AsSpan(start).StartsWith("//") && pathString.Length - start > 2)
        {
            var nextSlash = pathString.IndexOf('/', start + 2);
            var authorityEnd = nextSlash > 0 ? nextSlash : pathString.Length;
            if (authorityEnd != start + 2)
                throw new NotSupportedException($"A file path with an authority: {pathString}");
            start = authorityEnd;
        }

        if (scheme is not ("file" or null))
            throw new NotSupportedException($"Not a local path: {pathString}");
        return pathString[start..];
    }
}
