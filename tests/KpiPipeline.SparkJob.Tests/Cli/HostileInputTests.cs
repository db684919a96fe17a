using System.Globalization;
using System.Text.Json;
using KpiPipeline.Lake;
using KpiPipeline.Testing;
using Mono.Unix.Native;

namespace KpiPipeline.SparkJob.Tests.Cli;

/// <summary>
/// Hostile names, file types and values in a local lake, run through the built kpi-job as a user runs it
/// (issue 11, points 3 and 4): real FIFOs and symbolic links on disk, dots in names, overflowing numbers.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly TempLake _lake = new();
    private readonly TempLake _upload = new();
    private readonly TempLake _outside = new();

    public void Dispose()
    {
        _lake.Dispose();
        _upload.Dispose();
        _outside.Dispose();
    }

    [Fact]
    public async Task Run_UploadedFileWithDotsInItsName_ProcessedLikeAnyOther()
    {
        WriteDay(_upload, "", "v1..2.csv", items: 4);

        var result = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--upload", _upload.Root, "--format", "json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal(["2024-03-01|4|40|4"], Daily(result));
        Assert.Contains("processed/order_items/2024-03-01/v1..2.csv", _lake.Keys());
        Assert.Contains("processed/orders/2024-03-01/v1..2.csv", _lake.Keys());
    }

    [Fact]
    public async Task Run_FifoAndSymlinkedFolderInRaw_ReportedSkippedAndNeverFollowedOrMoved()
    {
        WriteDay(_lake, "raw/", "part-0000.csv", items: 4);
        var fifo = _lake.PathOf("raw/orders/2024-03-01/z.csv");
        Assert.Equal(0, Syscall.mkfifo(fifo, FilePermissions.DEFFILEMODE));
        _outside.Write("elsewhere/part-0000.csv", ShopFiles.Items(("9", "1", "1", "10.00", "1")));
        var link = _lake.PathOf("raw/order_items/2024-03-02");
        Directory.CreateSymbolicLink(link, _outside.PathOf("elsewhere"));

        var result = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal(["2024-03-01|4|40|4"], Daily(result));
        Assert.Contains($"{fifo}: it is a FIFO (named pipe), not a regular file", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{link}: it is a symbolic link, not a regular file", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(LocalEntryKind.Fifo, LocalFiles.KindOf(fifo));
        Assert.Equal(LocalEntryKind.SymbolicLink, LocalFiles.KindOf(link));
        Assert.Equal(["elsewhere/part-0000.csv"], _outside.Keys());
    }

    [Fact]
    public async Task Run_UploadFolderWithAFifo_FifoSkippedTheRestUploaded()
    {
        WriteDay(_upload, "", "part-0000.csv", items: 4);
        var fifo = _upload.PathOf("orders/2024-03-01/z.csv");
        Assert.Equal(0, Syscall.mkfifo(fifo, FilePermissions.DEFFILEMODE));

        var result = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--upload", _upload.Root, "--format", "none");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains($"Skipped {fifo}: a FIFO (named pipe), not a regular file.", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(_lake.Keys(), key => key.EndsWith("z.csv", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_PartialFileLeftByAKilledWrite_RemovedBeforeTheRun()
    {
        WriteDay(_lake, "raw/", "part-0000.csv", items: 4);
        var stale = $"validated/orders/2024-02-29/part-0000.csv.{Guid.NewGuid():N}.partial";
        _lake.Write(stale, "order_id,user_id,created_at\n1,u1,2024-02-29");
        File.SetLastWriteTimeUtc(_lake.PathOf(stale), DateTime.UtcNow.AddHours(-1));

        var result = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "none");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("Removed 1 stale *.partial file(s) left by an interrupted write.", result.StandardError, StringComparison.Ordinal);
        Assert.False(_lake.Exists(stale));
    }

    [Fact]
    public async Task Run_TheIssuesOverflowingValues_RejectedByTheValidatorAndTheKpisComeFromTheOtherRows()
    {
        // Issue 11, D2: sale_price 10^21 × quantity 10^9 in an otherwise good file, and a file of twenty 9·10^27 prices.
        WriteDay(_lake, "raw/", "part-0000.csv", items: 40, extraItem: ("41", "1", "1", "1000000000000000000000", "1000000000"));
        var huge = Enumerable.Range(101, 20).Select(i => (i.ToString(CultureInfo.InvariantCulture), "1", "1", "9000000000000000000000000000", "1")).ToArray();
        _lake.Write("raw/order_items/2024-03-01/part-0001.csv", ShopFiles.Items(huge));

        var result = await KpiJobProcess.RunAsync("run", "--lake", _lake.Root, "--format", "json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal(["2024-03-01|40|400|40"], Daily(result));
        Assert.DoesNotContain("Overflow", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("amount_out_of_range", _lake.Read("invalid/order_items/2024-03-01/part-0000.rejects.csv"), StringComparison.Ordinal);
        Assert.Contains("rejected_fraction_exceeded", _lake.Read("invalid/order_items/2024-03-01/part-0001.errors.json"), StringComparison.Ordinal);
    }

    /// <summary>One day (2024-03-01) of a shop: a product, one order per item, items at 10.00 × 1.</summary>
    internal static void WriteDay(TempLake lake, string prefix, string name, int items,
        (string Id, string OrderId, string ProductId, string SalePrice, string Quantity)? extraItem = null)
    {
        var ids = Enumerable.Range(1, items).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        lake.Write(prefix + "products/products.csv", ShopFiles.Products(("1", "Tops")));
        lake.Write($"{prefix}orders/2024-03-01/{name}", ShopFiles.Orders([.. ids.Select(i => (i, "u" + i, "2024-03-01T10:00:00Z", "Complete"))]));
        var rows = ids.Select(i => (i, i, "1", "10.00", "1")).ToList();
        if (extraItem is { } extra)
            rows.Add(extra);
        lake.Write($"{prefix}order_items/2024-03-01/{name}", ShopFiles.Items([.. rows]));
    }

    /// <summary>The daily KPIs of a JSON run as "date|orders|revenue|items".</summary>
    internal static List<string> Daily(KpiJobProcess.Result result)
    {
        using var json = JsonDocument.Parse(result.StandardOutput);
        return json.RootElement.GetProperty("daily").EnumerateArray()
            .Select(d => string.Join('|', d.GetProperty("date_key").GetString(), d.GetProperty("total_orders").GetInt64(),
                d.GetProperty("total_revenue").GetDecimal().ToString(CultureInfo.InvariantCulture), d.GetProperty("total_items_sold").GetInt64()))
            .ToList();
    }
}
