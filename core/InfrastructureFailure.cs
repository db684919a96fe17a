using KpiPipeline.Lake;
using KpiPipeline.Stores;

namespace KpiPipeline;

/// <summary>
/// The failures that are the environment's, not the data's — a store missing or locked, permissions, a full
/// disk, the network — described in one line that names what failed. Entry points exit 1 on them (a retry
/// may help); data problems exit 2.
/// </summary>
public static class InfrastructureFailure
{
    /// <summary>ENOSPC on Linux and macOS; ERROR_HANDLE_DISK_FULL and ERROR_DISK_FULL on Windows.</summary>
    private static readonly int[] DiskFullCodes = [28, 0x27, 0x70];

    /// <summary>The one-line description, or null when <paramref name="exception"/> is not an infrastructure failure this layer knows.</summary>
    public static string? Describe(Exception exception) => exception switch
    {
        ObjectStoreUnavailableException or KpiStoreException or Batching.BatchTrackerUnavailableException => exception.Message,
        UnauthorizedAccessException => $"permission denied: {exception.Message}",
        IOException io when IsDiskFull(io) => $"the disk is full: {exception.Message}",
        IOException => $"I/O failure: {exception.Message}",
        HttpRequestException => $"network failure: {exception.Message}",
        _ => null,
    };

    public static bool IsDiskFull(IOException exception) =>
        DiskFullCodes.Contains(exception.HResult & 0xFFFF)
        || exception.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase);
}
