using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using KpiPipeline.Lake;
using KpiPipeline.Orchestration;
using KpiPipeline.Samples;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>
/// <c>bench</c>: generates a lake of N order items (with late orders and several part files per day, as
/// production exports have), then times <c>kpi-job run</c> on a fresh copy of it in a new process (process start
/// included), best of <c>--runs</c>, and prints per-phase times, MB/s and peak memory. <c>--compare duckdb</c> and
/// <c>--compare pandas</c> time DuckDB or pandas computing the same KPIs from the same CSVs and check they equal ours.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Marks a folder bench made, so <c>--dir</c> only ever empties one of its own.</summary>
    private const string MarkerFile = ".kpi-bench";

    private const string DuckDbToolName = "kpi-duckdb-bench";

    /// <summary>Where the pandas script sits in a checkout, beside the DuckDB tool.</summary>
    private const string PandasScriptPath = "tests/KpiPipeline.PandasBench/pandas_kpis.py";

    /// <summary>Debian's python3-pandas installs for this interpreter, which a pyenv or venv python3 earlier on PATH hides.</summary>
    private const string SystemPython = "/usr/bin/python3";

    public static Command Create()
    {
        var items = new Option<long>("--items") { Description = "Order items to generate.", DefaultValueFactory = _ => 1_000_000 };
        var days = new Option<int>("--days") { Description = "Days (one batch each).", DefaultValueFactory = _ => 1 };
        var parts = new Option<int>("--parts") { Description = "Part files per day and dataset.", DefaultValueFactory = _ => 4 };
        var late = new Option<double>("--late-fraction")
        {
            Description = "Share of orders created shortly before midnight that arrive in the next day's folder (each batch then touches two dates).",
            DefaultValueFactory = _ => 0.02,
        };
        var runs = new Option<int>("--runs") { Description = "Runs on fresh copies of the lake; the best is reported.", DefaultValueFactory = _ => 1 };
        var folder = new Option<string?>("--dir")
        {
            Description = "Where to build the lake and keep it afterwards (default: a temporary folder, deleted afterwards). An existing folder is only reused if bench made it.",
        };
        var compare = new Option<string[]>("--compare")
        {
            Description = "Also time another engine on the same CSVs and check its KPIs equal ours; give it twice to compare with both (--compare duckdb --compare pandas).",
        };
        compare.AcceptOnlyFromAmong("duckdb", "pandas");
        var duckDbTool = new Option<string?>("--duckdb-tool")
        {
            Description = $"The {DuckDbToolName} executable (default: built under tests/KpiPipeline.DuckDbBench in this repository).",
        };
        var pandasScript = new Option<string?>("--pandas-script")
        {
            Description = $"The pandas KPI script (default: {PandasScriptPath} in this repository).",
        };
        var python = new Option<string?>("--python")
        {
            Description = $"The Python interpreter for --compare pandas (default: the first of python3 on PATH and {SystemPython} that imports pandas).",
        };
        var command = new Command("bench", "Benchmark: generate N order items and time validation + KPI job end to end in a new process.")
        {
            items, days, parts, late, runs, folder, compare, duckDbTool, pandasScript, python,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(verbose: false, async context =>
        {
            var options = new SampleOptions
            {
                Items = parse.GetValue(items),
                Days = parse.GetValue(days),
                PartsPerDay = parse.GetValue(parts),
                LateShare = parse.GetValue(late),
            };
            var runCount = parse.GetValue(runs);
            if (options.Items < 1 || options.Days < 1 || options.PartsPerDay < 1 || runCount < 1)
                throw new UsageException("--items, --days, --parts and --runs must be at least 1");
            if (options.LateShare is < 0 or > 1)
                throw new UsageException("--late-fraction must be between 0 and 1");
            // Before generating anything: a missing tool is a usage error, not something to find out after the runs.
            var rivals = (parse.GetValue(compare) ?? []).Distinct(StringComparer.Ordinal).Select(name => name == "duckdb"
                    ? DuckDb(parse.GetValue(duckDbTool) ?? FindDuckDbTool())
                    : Pandas(FindPython(parse.GetValue(python)), parse.GetValue(pandasScript) ?? FindPandasScript()))
                .ToList();

            var explicitFolder = parse.GetValue(folder);
            var root = explicitFolder ?? Path.Combine(Path.GetTempPath(), $"kpi-bench-{Guid.NewGuid():N}");
            PrepareFolder(root, explicitFolder is not null);
            try
            {
                var source = Path.Combine(root, "source");
                context.Error.MarkupLine(CommonOptions.Invariant(
                    $"Generating {options.Items:N0} order items over {options.Days} day(s), {options.PartsPerDay} part file(s) per day, {options.LateShare:P1} late orders…"));
                var sample = await SampleGenerator.WriteAsync(new LocalObjectStore(source), options, null, cancellationToken).ConfigureAwait(false);
                var lake = Path.Combine(root, "lake");
                var ours = new List<(TimeSpan Elapsed, RunStats Stats)>();
                var theirs = rivals.ToDictionary(r => r, _ => new List<(TimeSpan Elapsed, long Peak)>());
                // Round by round, each tool once, so that the machine's speed drifting during the runs weighs on all alike.
                for (var run = 1; run <= runCount; run++)
                {
                    CopyRaw(source, lake);
                    context.Error.MarkupLine(CommonOptions.Invariant($"kpi-job run {run}/{runCount} (load average {LoadAverage()})…"));
                    var (elapsed, stdout) = await RunChildAsync(KpiJob(["run", "--lake", lake, "--format", "none", "--stats"]), cancellationToken).ConfigureAwait(false);
                    ours.Add((elapsed, JsonSerializer.Deserialize(stdout.Trim(), CliJsonContext.Default.RunStats) ?? throw new InvalidDataException("kpi-job run printed no statistics")));
                    foreach (var rival in rivals)
                    {
                        context.Error.MarkupLine(CommonOptions.Invariant($"{rival.Name} run {run}/{runCount} (load average {LoadAverage()})…"));
                        theirs[rival].Add(await RunRivalAsync(rival, source, cancellationToken).ConfigureAwait(false));
                    }
                }
                var best = ours.MinBy(r => r.Elapsed);
                var megabytes = sample.Bytes / 1e6;
                var table = new Table().RoundedBorder().Title(CommonOptions.Invariant($"[bold]kpi-job run (new process, best of {runCount})[/]"))
                    .AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
                table.AddRow("order items", CommonOptions.Invariant($"{sample.Items:N0} over {options.Days} day(s), {options.LateShare:P1} late"));
                table.AddRow("input CSV", CommonOptions.Invariant($"{megabytes:0.0} MB"));
                table.AddRow("load average (1, 5, 15 min)", LoadAverage());
                table.AddRow("end to end, process start included", Rate(best.Elapsed.TotalSeconds, megabytes));
                table.AddRow("  validation (overlaps the KPI jobs)", Rate(best.Stats.ValidationSeconds, megabytes));
                table.AddRow("  KPI job", Rate(best.Stats.TransformSeconds, megabytes));
                table.AddRow("    read orders and products", Seconds(best.Stats.ReadOrdersSeconds));
                table.AddRow("    join, write curated Parquet, aggregate", Seconds(best.Stats.JoinAndWriteSeconds));
                table.AddRow("    KPIs of touched dates (reading other batches)", Seconds(best.Stats.KpisSeconds));
                table.AddRow("    store KPIs", Seconds(best.Stats.StoreSeconds));
                table.AddRow("    archive", Seconds(best.Stats.ArchiveSeconds));
                table.AddRow("peak working set", CommonOptions.Invariant($"{best.Stats.PeakWorkingSetBytes / 1e6:0} MB"));
                table.AddRow("all runs", string.Join(", ", ours.Select(r => Seconds(r.Elapsed.TotalSeconds))));
                if (rivals.Count > 0)
                {
                    var (_, oursJson) = await RunChildAsync(KpiJob(["kpis", "--lake", lake, "--format", "json"]), cancellationToken).ConfigureAwait(false);
                    foreach (var rival in rivals)
                        await CompareAsync(rival, source, theirs[rival], oursJson, (best.Elapsed, Median(ours.Select(r => r.Elapsed))), table, cancellationToken).ConfigureAwait(false);
                }
                context.Out.Write(table);
                return ExitCodes.Success;
            }
            finally
            {
                if (explicitFolder is null)
                    Directory.Delete(root, recursive: true);
            }
        }));
        return command;
    }

    /// <summary>
    /// Another engine computing the KPIs from the same raw CSVs: started as <c>Start(lake folder, KPI JSON to write)</c>,
    /// it writes the KPIs as <c>kpi-job kpis --format json</c> does and prints <c>{"peak_working_set_bytes": N}</c>.
    /// </summary>
    /// <param name="Name">As the table names it (<c>DuckDB</c>, <c>pandas</c>).</param>
    /// <param name="Label">The table's name for its time: what it is and what it runs.</param>
    private sealed record Rival(string Name, string Label, Func<string, string, ProcessStartInfo> Start)
    {
        public string Possessive => Name.EndsWith('s') ? Name + "'" : Name + "'s";
    }

    private static Rival DuckDb(string tool)
    {
        if (!File.Exists(tool))
            throw new UsageException($"--compare duckdb: {tool} does not exist");
        return new("DuckDB", "DuckDB (read_csv + the KPI SQL)", (lake, output) => Tool(tool, [lake, output]));
    }

    private static Rival Pandas(PythonWithPandas python, string script)
    {
        if (!File.Exists(script))
            throw new UsageException($"--compare pandas: {script} does not exist");
        return new("pandas", $"pandas {python.PandasVersion} (read_csv, merge, groupby)", (lake, output) => Tool(python.Executable, [script, lake, output]));
    }

    /// <summary>One run of a rival on the raw CSVs: it writes its KPIs beside them.</summary>
    private static async Task<(TimeSpan Elapsed, long Peak)> RunRivalAsync(Rival rival, string source, CancellationToken cancellationToken)
    {
        var (elapsed, stdout) = await RunChildAsync(rival.Start(source, TheirKpisFile(rival, source)), cancellationToken).ConfigureAwait(false);
        using var figures = JsonDocument.Parse(stdout.Trim());
        return (elapsed, figures.RootElement.GetProperty("peak_working_set_bytes").GetInt64());
    }

    private static string TheirKpisFile(Rival rival, string source) =>
        Path.Combine(Path.GetDirectoryName(source)!, $"{rival.Name.ToLowerInvariant()}-kpis.json");

    /// <summary>
    /// Reports a rival's runs on the same raw CSVs, best of them, and fails (a data error) when its KPIs differ from
    /// the ones kpi-job stored.
    /// </summary>
    /// <param name="ours">kpi-job's best time and the median of its runs.</param>
    private static async Task CompareAsync(Rival rival, string source, List<(TimeSpan Elapsed, long Peak)> runs, string oursJson,
        (TimeSpan Best, TimeSpan Median) ours, Table table, CancellationToken cancellationToken)
    {
        var theirsFile = TheirKpisFile(rival, source);
        var difference = KpiJsonDifference(oursJson, await File.ReadAllTextAsync(theirsFile, cancellationToken).ConfigureAwait(false));
        if (difference is not null)
            throw new InvalidDataException($"{rival.Possessive} KPIs differ from kpi-job's: {difference}");
        var best = runs.MinBy(r => r.Elapsed);
        table.AddRow(Markup.Escape($"{rival.Label}, process start included"), Rate(best.Elapsed.TotalSeconds, 0));
        table.AddRow($"{rival.Name} peak working set", CommonOptions.Invariant($"{best.Peak / 1e6:0} MB"));
        table.AddRow($"{rival.Name} all runs", string.Join(", ", runs.Select(r => Seconds(r.Elapsed.TotalSeconds))));
        table.AddRow($"[bold]speed vs {rival.Name}[/] ({rival.Possessive} time / ours)", CommonOptions.Invariant($"[bold]{best.Elapsed / ours.Best:0.00}×[/] (KPIs equal)"));
        // The best of a few runs hangs on one lucky run of either tool; the medians show the ratio the runs keep.
        var theirMedian = Median(runs.Select(r => r.Elapsed));
        table.AddRow($"speed vs {rival.Name}, medians of the runs",
            CommonOptions.Invariant($"{theirMedian / ours.Median:0.00}× ({Seconds(theirMedian.TotalSeconds)} against {Seconds(ours.Median.TotalSeconds)})"));
    }

    /// <summary>The middle time (the mean of the two middle ones for an even count).</summary>
    internal static TimeSpan Median(IEnumerable<TimeSpan> times)
    {
        var sorted = times.Order().ToList();
        if (sorted.Count == 0)
            throw new ArgumentException("No times.", nameof(times));
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The first difference between two KPI JSON documents (rows compared regardless of order, numbers by value); null when equal.</summary>
    internal static string? KpiJsonDifference(string ours, string theirs)
    {
        using var left = JsonDocument.Parse(ours);
        using var right = JsonDocument.Parse(theirs);
        foreach (var grain in new[] { "daily", "category" })
        {
            var a = Rows(left.RootElement.GetProperty(grain));
            var b = Rows(right.RootElement.GetProperty(grain));
            if (a.Count != b.Count)
                return CommonOptions.Invariant($"{grain}: {a.Count} rows vs {b.Count}");
            for (var i = 0; i < a.Count; i++)
            {
                if (a[i] != b[i])
                    return $"{grain}: {a[i]} vs {b[i]}";
            }
        }
        return null;

        static List<string> Rows(JsonElement array) => array.EnumerateArray()
            .Select(row => string.Join(", ", row.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + "=" + (p.Value.ValueKind == JsonValueKind.Number
                ? p.Value.GetDecimal().ToString("G29", CultureInfo.InvariantCulture)
                : p.Value.ToString()))))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Creates the bench folder; an existing one is emptied only when bench made it, anything else is refused untouched.</summary>
    internal static void PrepareFolder(string root, bool explicitFolder)
    {
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            if (!File.Exists(Path.Combine(root, MarkerFile)))
            {
                throw new UsageException(explicitFolder
                    ? $"--dir {root} already exists and was not made by bench (no {MarkerFile} in it): choose a new or empty folder"
                    : $"{root} already exists");
            }
            Directory.Delete(root, recursive: true);
        }
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, MarkerFile), "made by kpi-job bench; bench empties this folder when run with --dir on it again\n");
    }

    /// <summary>A fresh lake holding only the generated raw files (a run moves them on, so each run gets a copy).</summary>
    private static void CopyRaw(string source, string lake)
    {
        if (Directory.Exists(lake))
            Directory.Delete(lake, recursive: true);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(source, "raw"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(lake, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static ProcessStartInfo KpiJob(IEnumerable<string> arguments)
    {
        var self = SelfCommand.Command();
        var start = new ProcessStartInfo(self[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in self.Skip(1))
            start.ArgumentList.Add(argument);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }

    private static ProcessStartInfo Tool(string path, IEnumerable<string> arguments)
    {
        var dll = path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(dll ? "dotnet" : path) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (dll)
            start.ArgumentList.Add(path);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }

    private static async Task<(TimeSpan Elapsed, string Stdout)> RunChildAsync(ProcessStartInfo start, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var stdout = child.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = child.StandardError.ReadToEndAsync(cancellationToken);
        await child.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        stopwatch.Stop();
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(start.FileName)} {string.Join(' ', start.ArgumentList)} exited with {child.ExitCode}: {(await stderr.ConfigureAwait(false)).Trim()}");
        return (stopwatch.Elapsed, await stdout.ConfigureAwait(false));
    }

    /// <summary>The DuckDB tool built in the checkout kpi-job runs from, if it runs from one.</summary>
    private static string FindDuckDbTool()
    {
        if (LocalTools.FindRepositoryRoot(AppContext.BaseDirectory) is { } root)
        {
            foreach (var configuration in new[] { "Release", "Debug" })
            {
                var candidate = Path.Combine(root, "tests", "KpiPipeline.DuckDbBench", "bin", configuration, "net10.0", DuckDbToolName);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        throw new UsageException($"--compare duckdb needs {DuckDbToolName}: build it with `dotnet build -c Release tests/KpiPipeline.DuckDbBench` or pass --duckdb-tool");
    }

    /// <summary>The pandas script of the checkout kpi-job runs from, if it runs from one.</summary>
    private static string FindPandasScript()
    {
        if (LocalTools.FindRepositoryRoot(AppContext.BaseDirectory) is { } root && Path.Combine(root, PandasScriptPath) is var script && File.Exists(script))
            return script;
        throw new UsageException($"--compare pandas needs {PandasScriptPath} from a checkout of this repository: run kpi-job from one or pass --pandas-script");
    }

    /// <summary>An interpreter that imports pandas: its own path (a pyenv shim resolved, so no shim is timed) and pandas' version.</summary>
    internal sealed record PythonWithPandas(string Executable, string PandasVersion);

    /// <summary>
    /// <paramref name="explicitPython"/>, or else the first of <c>python3</c> on PATH and Debian's own interpreter that
    /// imports pandas: a developer's pyenv or venv python3 often comes first on PATH without pandas, while
    /// <c>apt-get install python3-pandas</c> (what CI runs) installs it for /usr/bin/python3.
    /// </summary>
    internal static PythonWithPandas FindPython(string? explicitPython)
    {
        var candidates = explicitPython is not null ? [explicitPython] : new[] { "python3", SystemPython };
        var failures = new List<string>();
        foreach (var candidate in candidates.Distinct(StringComparer.Ordinal))
        {
            if (ProbePandas(candidate, out var failure) is { } found)
                return found;
            failures.Add($"{candidate}: {failure}");
        }
        throw new UsageException($"--compare pandas needs Python 3 with pandas ({string.Join("; ", failures)}): install it with `apt-get install python3-pandas`{(explicitPython is null ? " or pass --python" : "")}");
    }

    private static PythonWithPandas? ProbePandas(string python, out string failure)
    {
        var start = new ProcessStartInfo(python, ["-c", "import sys, pandas; print(sys.executable); print(pandas.__version__)"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process? child;
        try
        {
            child = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            failure = "not found or not executable";
            return null;
        }
        using (child)
        {
            if (child is null)
            {
                failure = "did not start";
                return null;
            }
            var stderr = child.StandardError.ReadToEndAsync();
            var lines = child.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            child.WaitForExit();
            if (child.ExitCode != 0 || lines.Length != 2)
            {
                // The last line of a traceback is the one that says what is missing ("No module named 'pandas'").
                var error = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
                failure = error ?? CommonOptions.Invariant($"exited with {child.ExitCode}");
                return null;
            }
            failure = "";
            return new PythonWithPandas(lines[0], lines[1]);
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Seconds(double seconds) => seconds.ToString("0.00 's'", CultureInfo.InvariantCulture);

    private static string Rate(double seconds, double megabytes) => megabytes > 0
        ? CommonOptions.Invariant($"{seconds:0.00} s ({megabytes / seconds:0} MB/s)")
        : Seconds(seconds);
}
