using KpiPipeline.Contracts;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Validation;

/// <summary>The validator's repeated log events, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Validating batch {BatchId} v{Version} from {ManifestKey}: {OrdersFiles} orders and {OrderItemsFiles} order_items files")]
    public static partial void BatchStarted(ILogger logger, string batchId, int version, string manifestKey, int ordersFiles, int orderItemsFiles);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "{Key} ({Dataset}): {Disposition}, {RowsRead} rows, {Accepted} accepted, {Rejected} rejected")]
    public static partial void FileDone(ILogger logger, string key, Dataset dataset, FileDisposition disposition, long rowsRead, long accepted, long rejected);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "{Key} quarantined by rule {Rule}: expected {Expected}, found {Found}")]
    public static partial void FileQuarantined(ILogger logger, string key, string rule, string expected, string found);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "{Key} is already in {Location}: its keys count, it is not validated again")]
    public static partial void FileAlreadyPlaced(ILogger logger, string key, string location);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "{Key} is listed in the manifest but is nowhere in the lake")]
    public static partial void FileMissing(ILogger logger, string key);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Products {Key} are unusable ({Reason}): the batch's other files stay in raw/")]
    public static partial void ProductsUnusable(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Batch {BatchId} v{Version} is {Outcome}; report {ReportKey}")]
    public static partial void BatchDone(ILogger logger, string batchId, int version, BatchOutcome outcome, string reportKey);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "{Key}: the file in {Location} has an unusable header; its keys are ignored")]
    public static partial void EarlierFileUnreadable(ILogger logger, string key, string location);
}
