using System.Diagnostics;
using System.Globalization;
using KpiPipeline.Testing;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;

namespace KpiPipeline.Notebooks.Tests;

/// <summary>
/// Runs notebooks/adhoc-kpis.ipynb as a reader would: every code cell in order on a C# kernel, against a lake
/// that <c>kpi-job generate</c> and <c>kpi-job run</c> made. Any compile error or exception fails the test; the
/// recomputed KPIs are checked against figures computed here from the generated CSV files.
/// </summary>
/// <remarks>
/// This project references none of the pipeline's assemblies: the notebook loads them itself from the notebooks
/// project's build output (#r), and a second copy of them in the test host would be a different assembly.
/// </remarks>
public sealed class AdhocKpisNotebookTests : IDisposable
{
    private const int Days = 14;
    private static readonly DateOnly From = new(2024, 3, 1);
    private static readonly DateOnly To = From.AddDays(Days - 1);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    private readonly string _work = Path.Combine(Path.GetTempPath(), "kpi-notebook-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task AdhocKpisNotebook_EveryCellOnAGeneratedLake_RunsAndRecomputesTheIndependentFigures()
    {
        var root = RepositoryRoot.Find();
        var shop = Path.Combine(_work, "shop");
        var lake = Path.Combine(_work, "lake");
        await KpiJobAsync(root, "generate", "--out", shop, "--items", "3000", "--days", Days.ToString(CultureInfo.InvariantCulture), "--parts", "2");
        var revenue = RevenueByDate(Path.Combine(shop, "raw", "order_items"));
        await KpiJobAsync(root, "run", "--lake", lake, "--upload", Path.Combine(shop, "raw"), "--format", "none");

        var document = Notebook.Parse(await File.ReadAllTextAsync(Path.Combine(root, "notebooks", "adhoc-kpis.ipynb")),
            new KernelInfoCollection { new("csharp", "C#") });
        var cells = document.Elements.Where(e => e.KernelName == "csharp").ToList();
        Assert.True(cells.Count >= 8, $"the notebook has {cells.Count} C# cells");

        Environment.SetEnvironmentVariable("KPI_LAKE", lake);
        Environment.SetEnvironmentVariable("KPI_FROM", From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Environment.SetEnvironmentVariable("KPI_TO", To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        // The notebook's #r paths are relative to its folder, as VS Code and Jupyter start the kernel there.
        Directory.SetCurrentDirectory(Path.Combine(root, "notebooks"));
        using var csharp = new CSharpKernel();
        using var kernel = new CompositeKernel { csharp };
        kernel.DefaultKernelName = csharp.Name;
        var outputs = new List<string>();
        for (var i = 0; i < cells.Count; i++)
        {
            using var timeout = new CancellationTokenSource(Patience);
            var result = await kernel.SendAsync(new SubmitCode(cells[i].Contents), timeout.Token);
            var errors = result.Events.OfType<DiagnosticsProduced>().SelectMany(d => d.Diagnostics)
                .Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).Select(d => d.ToString())
                .Concat(result.Events.OfType<CommandFailed>().Select(f => f.Message + Environment.NewLine + f.Exception))
                .ToList();
            Assert.True(errors.Count == 0, $"cell {i + 1} failed:{Environment.NewLine}{cells[i].Contents}{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
            outputs.AddRange(result.Events.OfType<DisplayEvent>().SelectMany(e => e.FormattedValues).Select(v => v.Value));
        }

        var check = await kernel.SendAsync(new SubmitCode(string.Create(CultureInfo.InvariantCulture,
            $"var checkDays = recomputed.Daily.Count; var checkRevenue = recomputed.Daily.Single(d => d.Date == new DateOnly({To.Year}, {To.Month}, {To.Day})).TotalRevenue; var checkProfiled = profile.RowCount;")));
        Assert.Empty(check.Events.OfType<CommandFailed>());
        Assert.True(csharp.TryGetValue<int>("checkDays", out var days));
        Assert.Equal(Days, days);
        Assert.True(csharp.TryGetValue<decimal>("checkRevenue", out var lastDayRevenue));
        Assert.Equal(revenue[To], lastDayRevenue);
        Assert.True(csharp.TryGetValue<int>("checkProfiled", out var profiledColumns));
        Assert.True(profiledColumns > 0, "the validation profile frame is empty");
        Assert.Contains(outputs, o => o.Contains("data:image/png;base64,iVBORw0KGgo", StringComparison.Ordinal));
        Assert.Contains(outputs, o => o.Contains("change %", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; never fail a test on cleanup.
        }
    }

    /// <summary>Σ sale_price × quantity of each date's order items, read from the generated files with a plain split (they hold no quoted fields).</summary>
    private static Dictionary<DateOnly, decimal> RevenueByDate(string itemsFolder)
    {
        var revenue = new Dictionary<DateOnly, decimal>();
        foreach (var folder in Directory.EnumerateDirectories(itemsFolder))
        {
            var date = DateOnly.ParseExact(Path.GetFileName(folder), "yyyy-MM-dd", CultureInfo.InvariantCulture);
            foreach (var file in Directory.EnumerateFiles(folder, "*.csv"))
            {
                var lines = File.ReadAllLines(file);
                var header = lines[0].Split(',');
                int price = Array.IndexOf(header, "sale_price"), quantity = Array.IndexOf(header, "quantity");
                foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
                {
                    var fields = line.Split(',');
                    revenue[date] = revenue.GetValueOrDefault(date) + (decimal.Parse(fields[price], CultureInfo.InvariantCulture) * int.Parse(fields[quantity], CultureInfo.InvariantCulture));
                }
            }
        }
        return revenue;
    }

    private static async Task KpiJobAsync(string root, params string[] arguments)
    {
        var built = Directory.EnumerateFiles(Path.Combine(root, "spark-job", "bin"), "kpi-job.dll", SearchOption.AllDirectories)
            .Where(path => File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var argument in arguments.Prepend(built))
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"kpi-job {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}{await stdout}");
    }
}
