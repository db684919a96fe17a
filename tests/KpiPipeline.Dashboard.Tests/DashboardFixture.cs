using System.Text.Json.Nodes;
using KpiPipeline.Testing;

namespace KpiPipeline.Dashboard.Tests;

/// <summary>
/// One generated lake for the whole assembly (<c>kpi-job generate</c>, then <c>run</c>), what <c>kpi-job kpis
/// --format json</c> prints for it, and <c>kpi-job serve</c> running on it.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    private readonly TempLake _shop = new();

    public TempLake Lake { get; } = new();

    /// <summary>Every object of the lake with its size and modification time, as the run left it.</summary>
    public IReadOnlyList<string> ListingAfterRun { get; private set; } = [];

    public JsonNode Kpis { get; private set; } = null!;

    public ServeProcess Serve { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public JsonArray Daily => Kpis["daily"]!.AsArray();

    public JsonArray Category => Kpis["category"]!.AsArray();

    public async Task InitializeAsync()
    {
        await RunAsync("generate", "--out", _shop.Root, "--items", "4000", "--days", "16", "--seed", "15");
        await RunAsync("run", "--lake", Lake.Root, "--upload", Path.Combine(_shop.Root, "raw"), "--format", "none");
        ListingAfterRun = Listing(Lake.Root);
        Kpis = JsonNode.Parse(await RunAsync("kpis", "--lake", Lake.Root, "--format", "json"))!;
        Serve = await ServeProcess.StartAsync("--lake", Lake.Root);
        Http = new HttpClient { BaseAddress = Serve.Url };
    }

    /// <summary>Runs kpi-job and returns its standard output; any exit code but 0 fails with its standard error.</summary>
    public static async Task<string> RunAsync(params string[] arguments)
    {
        var result = await KpiJobProcess.RunAsync(arguments);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"kpi-job {string.Join(' ', arguments)} exited {result.ExitCode}: {result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>Each file and folder with size and modification time: a write of any kind changes it.</summary>
    public static IReadOnlyList<string> Listing(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(path => new FileInfo(path))
            .Select(info => $"{Path.GetRelativePath(root, info.FullName)} {info.LastWriteTimeUtc:O} {(info.Attributes.HasFlag(FileAttributes.Directory) ? -1 : info.Length)}")
            .Order(StringComparer.Ordinal)
            .ToList();

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Serve is not null)
            await Serve.DisposeAsync();
        Lake.Dispose();
        _shop.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
