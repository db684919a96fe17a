using KpiPipeline.Stores;
using KpiPipeline.Testing;
using Microsoft.Data.Sqlite;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>
/// Infrastructure failures exit 1 with one line that names what failed (issue 11, point 5), caused for real:
/// an immutable SQLite file, a write lock held by another process, an immutable folder, a full tmpfs.
/// </summary>
public sealed class InfrastructureFailureTests : IDisposable
{
    private const long Page = 4096;

    private readonly TempLake _lake = new();
    private readonly TempLake _mountPoint = new();

    private string Database => _lake.PathOf("kpis.db");

    public void Dispose()
    {
        _lake.Dispose();
        _mountPoint.Dispose();
    }

    [Fact]
    public async Task Run_KpiDatabaseReadOnly_OneLineNamingTheFileExitOne()
    {
        HostileInputTests.WriteDay(_lake, "raw/", "part-0000.csv", items: 4);
        await (await SqliteKpiStore.OpenInLakeAsync(_lake.Root, CancellationToken.None)).DisposeAsync();

        KpiJobProcess.Result result;
        await using (await ReadOnlyPath.MakeAsync(Database))
            result = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(Lines(result.StandardError));
        Assert.StartsWith($"kpi-job: the KPI database {Database} cannot be written (read-only", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_KpiDatabaseLockedByAnotherProcess_OneLineNamingTheFileExitOne()
    {
        HostileInputTests.WriteDay(_lake, "raw/", "part-0000.csv", items: 4);
        await (await SqliteKpiStore.OpenInLakeAsync(_lake.Root, CancellationToken.None)).DisposeAsync();
        await using var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Database, Pooling = false }.ToString());
        await holder.OpenAsync();
        await using (var begin = holder.CreateCommand())
        {
            // A write transaction this test process holds until the kpi-job process has given up.
            begin.CommandText = "BEGIN EXCLUSIVE; DELETE FROM DailyKPIs;";
            await begin.ExecuteNonQueryAsync();
        }

        var result = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(Lines(result.StandardError));
        Assert.StartsWith($"kpi-job: the KPI database {Database} is locked by another process", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RawFolderCannotBeChanged_OneLinePermissionDeniedExitOne()
    {
        HostileInputTests.WriteDay(_lake, "raw/", "part-0000.csv", items: 4);

        KpiJobProcess.Result result;
        await using (await ReadOnlyPath.MakeAsync(_lake.PathOf("raw/orders/2024-03-01")))
            result = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(Lines(result.StandardError));
        Assert.StartsWith($"kpi-job: permission denied: {_lake.PathOf("raw/orders/2024-03-01/part-0000.csv")} cannot be moved to ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DiskFullWhileWriting_OneLineSayingSoExitOne()
    {
        HostileInputTests.WriteDay(_lake, "raw/", "part-0000.csv", items: 6000);
        var used = PageRoundedSize(_lake.Root);
        // What a run writes beside its input, measured on a copy with room to spare: the disk gets half of it,
        // so it fills whatever the output's compression does.
        using var reference = new TempLake();
        CopyFolder(_lake.Root, reference.Root);
        var referenceRun = await KpiJobProcess.RunAsync("run", "--lake", reference.Root, "--format", "none");
        Assert.True(referenceRun.ExitCode == 0, referenceRun.StandardError);
        var written = PageRoundedSize(reference.Root) - used;
        Assert.True(written >= 2 * Page, $"a run wrote only {written} bytes: too little to fill a disk with");
        var room = written / 2 / Page * Page;
        // The lake is copied onto a tmpfs of that size, mounted in a mount namespace of the kpi-job process alone.
        const string script = """
            set -e
            mount -t tmpfs -o size="$1" tmpfs "$2"
            cp -r "$3"/. "$2"/
            shift 3
            exec "$@"
            """;
        string[] unshare = ReadOnlyPath.IsRoot ? ["unshare", "--mount"] : ["unshare", "--map-root-user", "--mount"];

        var result = await KpiJobProcess.RunCommandAsync(
            [.. unshare, "sh", "-c", script, "sh", (used + room).ToString(System.Globalization.CultureInfo.InvariantCulture), _mountPoint.Root, _lake.Root,
                .. KpiJobProcess.Command, "run", "--lake", _mountPoint.Root, "--format", "none"]);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(Lines(result.StandardError));
        Assert.StartsWith("kpi-job: ", line, StringComparison.Ordinal);
        Assert.Contains("the disk is full", line, StringComparison.Ordinal);
    }

    /// <summary>Bytes the files take on a tmpfs, which allocates whole pages.</summary>
    private static long PageRoundedSize(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => (new FileInfo(f).Length + Page - 1) / Page * Page);

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string[] Lines(string text) => text.Trim().Split('\n');
}
