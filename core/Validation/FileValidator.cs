using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using KpiPipeline.Contracts;
using KpiPipeline.Csv;
using KpiPipeline.Lake;

namespace KpiPipeline.Validation;

/// <summary>
/// Validates one raw file in one streaming pass: good rows to <c>validated/</c>, rejected rows to the
/// rejects file, or the whole file to <c>invalid/</c> with an errors file. Also reads the keys of files an
/// earlier run already validated, so they count for the batch without being judged again.
/// </summary>
internal sealed class FileValidator(IObjectStore store, ValidationOptions options, DateTime validationTime, DateOnly batchDate, BatchKeys keys, IFileInspector? inspector = null)
{
    private const int SampleRows = 1000;

    private static readonly byte[] RejectsHeader = "line,column,rule,expected,found,record\n"u8.ToArray();
    private static readonly (byte Delimiter, string Name)[] OtherDelimiters = [((byte)';', "semicolon"), ((byte)'\t', "tab"), ((byte)'|', "pipe")];

    private readonly Dictionary<Dataset, long> _expectedBytes = [];

    public async Task<FileValidationResult> ValidateAsync(string rawKey, LakeFile file, CancellationToken cancellationToken)
    {
        var tally = new Tally(options.ExamplesPerFile);
        var size = await SizeOfAsync(rawKey, cancellationToken).ConfigureAwait(false);
        if (size > options.MaxFileBytes)
        {
            var tooLarge = new Violation(ValidationRules.FileTooLarge, 0, null, $"at most {options.MaxFileBytes} bytes", $"{size} bytes");
            return await QuarantineAsync(rawKey, file, tooLarge, tally, rejectsCommitted: false, cancellationToken).ConfigureAwait(false);
        }

        await using var input = await store.OpenReadAsync(rawKey, cancellationToken).ConfigureAwait(false);
        using var reader = new CsvReader(input, new CsvReaderOptions { MaxRecordBytes = options.MaxRecordBytes });
        var (binding, headerError) = await ReadHeaderAsync(reader, file.Dataset, tally, cancellationToken).ConfigureAwait(false);
        if (headerError is not null)
            return await QuarantineAsync(rawKey, file, headerError, tally, rejectsCommitted: false, cancellationToken).ConfigureAwait(false);

        var checkpoint = keys.Mark();
        var checker = new RowChecker(binding!, reader.FieldCount, options, validationTime, batchDate, keys);
        var sampleRows = inspector?.SampleRows(file.Dataset) ?? 0;
        var sample = sampleRows > 0 ? new RowSample(binding!, sampleRows) : null;
        var rejectsKey = LakeLayout.RejectsKey(file);
        var validatedKey = file.KeyIn(Stage.Validated);
        BufferedObjectOutput? good = null;
        BufferedObjectOutput? rejects = null;
        try
        {
            // Most files are clean, and a clean file's good output is the file itself: it is moved (or, for
            // products, copied) as it is instead of being rewritten. Good rows are written only from the first
            // rejected row on, after the clean prefix is copied. Leading blank lines would put a blank line
            // where readers expect the header, so such a file is rewritten from the start.
            var headerStart = reader.HadByteOrderMark ? 3 : 0;
            if (tally.BlankLines > 0)
            {
                good = await BufferedObjectOutput.CreateAsync(store, validatedKey, cancellationToken).ConfigureAwait(false);
                good.AppendLine(reader.RawRecord);
            }
            Violation? fileError = null;
            var nextStart = reader.BytesConsumed;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var recordStart = nextStart;
                nextStart = reader.BytesConsumed;
                if (reader.IsBlank)
                {
                    tally.BlankLines++;
                    continue;
                }
                if (++tally.RowsRead == SampleRows)
                    ReserveFromSample(file.Dataset, checker.OwnKeys, reader.BytesConsumed, tally.RowsRead);
                // An over-long record is cut at the buffer's end, possibly inside a character: not evidence of another encoding.
                if (reader.Problem != CsvRecordProblem.RecordTooLong && !IsText(reader.RawRecord))
                {
                    fileError = NotText(reader);
                    break;
                }
                var violation = checker.Check(reader);
                if (violation is null)
                {
                    tally.Accepted++;
                    if (checker.LastRowOffDate)
                        tally.OffDateRows++;
                    if (sample is { IsFull: false })
                        sample.Add(reader, checker);
                    if (good is null)
                        continue;
                    good.AppendLine(reader.RawRecord);
                    if (good.ShouldFlush)
                        await good.FlushAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                tally.Reject(violation);
                good ??= await StartGoodOutputAsync(rawKey, validatedKey, headerStart, recordStart, cancellationToken).ConfigureAwait(false);
                if (rejects is null)
                {
                    rejects = await BufferedObjectOutput.CreateAsync(store, rejectsKey, cancellationToken).ConfigureAwait(false);
                    rejects.Append(RejectsHeader);
                }
                if (!TryWriteReject(rejects, violation, reader.RawRecord, tally))
                    continue;
                if (rejects.ShouldFlush)
                    await rejects.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            if (tally.RowsRead < SampleRows)
                ReserveFromSample(file.Dataset, checker.OwnKeys, reader.BytesConsumed, tally.RowsRead);
            fileError ??= tally.RowsRead == 0
                ? new Violation(ValidationRules.NoDataRows, 0, null, ValidationRules.NoDataRows.Expected, "a header only")
                : FractionExceeded(tally);
            if (fileError is null && sample is not null)
                fileError = Inspect(sample, rawKey, tally);
            if (fileError is not null)
            {
                // The file's keys must not count for the batch: its rows go nowhere but invalid/.
                keys.Rollback(checkpoint);
                var keepRejects = rejects is not null && fileError.Rule == ValidationRules.RejectedFractionExceeded;
                if (keepRejects)
                    await rejects!.CommitAsync(cancellationToken).ConfigureAwait(false);
                return await QuarantineAsync(rawKey, file, fileError, tally, keepRejects, cancellationToken).ConfigureAwait(false);
            }

            // Good rows and rejects are committed before the raw object goes: a crash in between leaves the raw
            // file in place, and the re-run validates it again to the same result.
            if (good is not null)
                await good.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (rejects is not null)
                await rejects.CommitAsync(cancellationToken).ConfigureAwait(false);
            else
                await DeleteIfExistsAsync(rejectsKey, cancellationToken).ConfigureAwait(false);
            await DeleteIfExistsAsync(LakeLayout.ErrorsKey(file), cancellationToken).ConfigureAwait(false);
            if (file.Dataset == Dataset.Products)
            {
                // Products master data stays in raw/ for the other batches; validated/ gets its own copy.
                if (good is null)
                    await store.CopyAsync(rawKey, validatedKey, cancellationToken).ConfigureAwait(false);
            }
            else if (good is null)
            {
                await store.MoveAsync(rawKey, validatedKey, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await store.DeleteAsync(rawKey, cancellationToken).ConfigureAwait(false);
            }
            return tally.ToResult(rawKey, file.Dataset, FileDisposition.Validated, validatedKey,
                rejects is null ? null : rejectsKey, errorsKey: null, fileError: null);
        }
        finally
        {
            if (good is not null)
                await good.DisposeAsync().ConfigureAwait(false);
            if (rejects is not null)
                await rejects.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts the good output at the first rejected row: the header and every row before it were good, so
    /// they are copied byte for byte from the raw object (a second read of that prefix only).
    /// </summary>
    private async Task<BufferedObjectOutput> StartGoodOutputAsync(string rawKey, string validatedKey, long from, long to, CancellationToken cancellationToken)
    {
        var output = await BufferedObjectOutput.CreateAsync(store, validatedKey, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var input = await store.OpenReadAsync(rawKey, cancellationToken).ConfigureAwait(false);
            var buffer = new byte[64 * 1024];
            var position = 0L;
            while (position < to)
            {
                var read = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, to - position)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    throw new IOException($"{store.Describe(rawKey)} became shorter while it was being validated.");
                var start = (int)Math.Clamp(from - position, 0, read);
                output.Append(buffer.AsSpan(start, read - start));
                position += read;
                if (output.ShouldFlush)
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            return output;
        }
        catch
        {
            await output.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Tells how many bytes of raw files the dataset has in this run. Its key table learns how many keys are
    /// coming once the first rows of its first file show how long a row is: should the ids turn out scattered,
    /// their table is then allocated once at the right size instead of rebuilt at every doubling.
    /// </summary>
    public void ExpectBytes(Dataset dataset, long bytes) => _expectedBytes[dataset] = bytes;

    private void ReserveFromSample(Dataset dataset, KeyTable table, long bytesRead, long rows)
    {
        if (rows == 0)
            return;
        var rowBytes = Math.Max(8, bytesRead / rows);
        if (!_expectedBytes.Remove(dataset, out var total))
            return;
        var additional = Math.Max(0, total - bytesRead) / rowBytes;
        // A little room over the estimate: rows further on may be shorter than the first ones.
        table.Reserve((int)Math.Min(int.MaxValue / 2, additional + (additional / 16)));
    }

    /// <summary>Claims the keys of a file an earlier run placed in <c>validated/</c> or <c>processed/</c>.</summary>
    public async Task<FileValidationResult> RegisterAsync(string rawKey, string location, LakeFile file, FileDisposition disposition, Action<string> unreadable, CancellationToken cancellationToken)
    {
        var tally = new Tally(0);
        await using var input = await store.OpenReadAsync(location, cancellationToken).ConfigureAwait(false);
        using var reader = new CsvReader(input, new CsvReaderOptions { MaxRecordBytes = options.MaxRecordBytes });
        var (binding, headerError) = await ReadHeaderAsync(reader, file.Dataset, tally, cancellationToken).ConfigureAwait(false);
        if (headerError is null)
        {
            var checker = new RowChecker(binding!, reader.FieldCount, options, validationTime, batchDate, keys);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.IsBlank)
                    continue;
                tally.RowsRead++;
                tally.Accepted++;
                checker.Register(reader);
            }
        }
        else if (headerError.Rule != ValidationRules.EmptyFile)
        {
            unreadable(location);
        }
        return tally.ToResult(rawKey, file.Dataset, disposition, location, rejectsKey: null, errorsKey: null, fileError: null);
    }

    /// <summary>Reads up to the header (leading blank lines are counted and skipped) and binds it, or says why the file is unusable.</summary>
    private static async Task<(HeaderBinding? Binding, Violation? Error)> ReadHeaderAsync(CsvReader reader, Dataset dataset, Tally tally, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return (null, new Violation(ValidationRules.EmptyFile, 0, null, ValidationRules.EmptyFile.Expected, "no header row"));
            if (!reader.IsBlank)
                break;
            tally.BlankLines++;
        }
        var line = reader.LineNumber;
        if (reader.Problem != CsvRecordProblem.RecordTooLong && !IsText(reader.RawRecord))
            return (null, NotText(reader));
        if (reader.Problem != CsvRecordProblem.None)
            return (null, new Violation(ValidationRules.MalformedHeader, line, null, ValidationRules.MalformedHeader.Expected, $"{reader.Problem}: {RowChecker.Found(reader.RawRecord)}"));
        // A CR before the end: lines end in CR alone. (One CR at the very end is "\r\r\n", which header matching trims.)
        if (reader.RawRecord[..^1].Contains((byte)'\r'))
            return (null, new Violation(ValidationRules.BareCarriageReturns, line, null, ValidationRules.BareCarriageReturns.Expected, "carriage returns without line feeds in the first line"));

        var schema = Schemas.For(dataset);
        var headers = new string[reader.FieldCount];
        for (var i = 0; i < headers.Length; i++)
            headers[i] = reader.GetString(i);
        var binding = schema.Bind(headers);
        if (binding.MissingRequired.Count > 0)
        {
            var text = Encoding.UTF8.GetString(reader.RawRecord);
            foreach (var (delimiter, name) in OtherDelimiters)
            {
                if (schema.Bind(text.Split((char)delimiter)).MissingRequired.Count == 0)
                    return (null, new Violation(ValidationRules.WrongDelimiter, line, null, ValidationRules.WrongDelimiter.Expected, $"{name}-separated header: {RowChecker.Found(reader.RawRecord)}"));
            }
            return (null, new Violation(ValidationRules.MissingRequiredColumns, line, null,
                "columns " + string.Join(", ", binding.MissingRequired), "headers " + RowChecker.Found(Encoding.UTF8.GetBytes(string.Join(", ", binding.Headers)))));
        }
        if (binding.DuplicateHeaders.Count > 0)
            return (null, new Violation(ValidationRules.DuplicateHeader, line, string.Join(", ", binding.DuplicateHeaders), ValidationRules.DuplicateHeader.Expected, "repeated " + string.Join(", ", binding.DuplicateHeaders)));
        if (binding.AmbiguousColumns.Count > 0)
            return (null, new Violation(ValidationRules.AmbiguousColumns, line, string.Join(", ", binding.AmbiguousColumns), ValidationRules.AmbiguousColumns.Expected, "several aliases for " + string.Join(", ", binding.AmbiguousColumns)));
        return (binding, null);
    }

    /// <summary>The frame-level checks, after the streaming ones: their findings go into the report, a hard bound quarantines the file.</summary>
    private Violation? Inspect(RowSample sample, string rawKey, Tally tally)
    {
        try
        {
            tally.Quality = inspector!.Inspect(sample.ToSample(rawKey, batchDate, tally.RowsRead, tally.Accepted, tally.Rejected, tally.OffDateRows));
        }
        finally
        {
            sample.Release();
        }
        return tally.Quality.Rejection is { } failed
            ? new Violation(ValidationRules.ExpectationNotMet, 0, null, $"{failed.Id} {failed.Bounds}", failed.Observed is { } observed
                ? string.Create(CultureInfo.InvariantCulture, $"{observed:0.####}{(failed.Detail is null ? "" : $" ({failed.Detail})")}")
                : failed.Detail ?? "nothing to measure")
            : null;
    }

    private Violation? FractionExceeded(Tally tally)
    {
        // Identical duplicates count too: dropping them keeps the KPIs right, but a file that is mostly one row
        // repeated (hundreds of megabytes of it) is not an export to accept.
        var defects = tally.Rejected;
        if (defects <= options.MaxRejectedFraction * tally.RowsRead)
            return null;
        return new Violation(ValidationRules.RejectedFractionExceeded, 0, null,
            string.Create(CultureInfo.InvariantCulture, $"at most {options.MaxRejectedFraction * 100:0.0#}% of rows rejected"),
            string.Create(CultureInfo.InvariantCulture, $"{defects} of {tally.RowsRead} rows ({100.0 * defects / tally.RowsRead:0.0#}%)"));
    }

    private async Task<FileValidationResult> QuarantineAsync(string rawKey, LakeFile file, Violation error, Tally tally, bool rejectsCommitted, CancellationToken cancellationToken)
    {
        var errorsKey = LakeLayout.ErrorsKey(file);
        var rejectsKey = LakeLayout.RejectsKey(file);
        if (!rejectsCommitted)
            await DeleteIfExistsAsync(rejectsKey, cancellationToken).ConfigureAwait(false);
        // The reason is written before the move: a crash in between leaves the raw file, and the re-run repeats both.
        var errors = new QuarantineRecord(rawKey, file.Dataset, error.Rule.Id, error.Rule.Level, error.Rule.Description, error.Line, error.Column,
            error.Expected, error.Found, tally.RowsRead, tally.Accepted, tally.Rejected, tally.ByRule, rejectsCommitted ? rejectsKey : null,
            rejectsCommitted ? tally.RejectedBeyondCap : 0);
        await store.PutAsync(errorsKey, JsonSerializer.SerializeToUtf8Bytes(errors, BatchValidationResult.Json.QuarantineRecord), cancellationToken).ConfigureAwait(false);
        string? destination = null;
        if (file.Dataset != Dataset.Products)
        {
            // Products master data stays where it is: other batches still point at it.
            destination = file.KeyIn(Stage.Invalid);
            await store.MoveAsync(rawKey, destination, cancellationToken).ConfigureAwait(false);
        }
        return tally.ToResult(rawKey, file.Dataset, FileDisposition.Quarantined, destination, rejectsCommitted ? rejectsKey : null, errorsKey, error);
    }

    /// <summary>
    /// Removes what an earlier attempt left (a stale rejects or errors file). Asks first: LocalObjectStore's
    /// delete throws when the folder is missing, although the contract says a missing object is no error.
    /// </summary>
    private async Task DeleteIfExistsAsync(string key, CancellationToken cancellationToken)
    {
        if (await store.ExistsAsync(key, cancellationToken).ConfigureAwait(false))
            await store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> SizeOfAsync(string key, CancellationToken cancellationToken)
    {
        await foreach (var info in store.ListAsync(key, cancellationToken).ConfigureAwait(false))
        {
            if (info.Key == key)
                return info.Size;
        }
        return 0;
    }

    /// <summary>
    /// Writes the rejected row unless the rejects file is full (<see cref="ValidationOptions.MaxRejectsRows"/> or
    /// <see cref="ValidationOptions.MaxRejectsBytes"/>); from then on rejected rows are only counted, so a file of
    /// millions of bad rows cannot grow a rejects file without bound.
    /// </summary>
    private bool TryWriteReject(BufferedObjectOutput rejects, Violation violation, ReadOnlySpan<byte> record, Tally tally)
    {
        if (tally.RejectedBeyondCap == 0 && tally.RejectsWritten < options.MaxRejectsRows)
        {
            var before = rejects.Length;
            WriteReject(rejects, violation, record);
            if (rejects.Length <= options.MaxRejectsBytes)
            {
                tally.RejectsWritten++;
                return true;
            }
            rejects.TruncateTo(before);
        }
        tally.RejectedBeyondCap++;
        return false;
    }

    private static void WriteReject(BufferedObjectOutput rejects, Violation violation, ReadOnlySpan<byte> record)
    {
        rejects.AppendField(violation.Line);
        rejects.AppendField(violation.Column);
        rejects.AppendField(violation.Rule.Id);
        rejects.AppendField(violation.Expected);
        rejects.AppendField(violation.Found);
        rejects.AppendField(record, last: true);
    }

    /// <summary>UTF-8 and no NUL bytes (which UTF-16 text and binary files are full of).</summary>
    private static bool IsText(ReadOnlySpan<byte> record) =>
        // Almost every row is printable ASCII: one vectorised scan settles it; only other rows pay for the full check.
        record.IndexOfAnyExceptInRange((byte)1, (byte)0x7F) < 0 || (Utf8.IsValid(record) && !record.Contains((byte)0));

    private static Violation NotText(CsvReader reader)
    {
        var record = reader.RawRecord;
        var zero = record.IndexOf((byte)0);
        var found = zero >= 0 && Utf8.IsValid(record)
            ? $"a NUL byte at offset {zero} of the line"
            : $"bytes that are not UTF-8 at offset {InvalidOffset(record)} of the line";
        return new Violation(ValidationRules.NotUtf8, reader.LineNumber, null, ValidationRules.NotUtf8.Expected, found);
    }

    private static int InvalidOffset(ReadOnlySpan<byte> record)
    {
        var offset = 0;
        while (offset < record.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(record[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return offset;
    }

    /// <summary>The body of <c>name.errors.json</c>.</summary>
    internal sealed record QuarantineRecord(string Key, Dataset Dataset, string Rule, RuleLevel Level, string Description, long Line, string? Column,
        string Expected, string Found, long RowsRead, long Accepted, long Rejected, IReadOnlyDictionary<string, long> RejectedByRule, string? RejectsKey,
        long RejectedBeyondCap);

    private sealed class Tally(int examples)
    {
        private readonly List<Violation> _examples = [];

        public long RowsRead { get; set; }

        public long Accepted { get; set; }

        public long Rejected { get; private set; }

        public long RejectsWritten { get; set; }

        public long RejectedBeyondCap { get; set; }

        public long BlankLines { get; set; }

        public long OffDateRows { get; set; }

        public FileQuality? Quality { get; set; }

        public SortedDictionary<string, long> ByRule { get; } = new(StringComparer.Ordinal);

        public void Reject(Violation violation)
        {
            Rejected++;
            ByRule[violation.Rule.Id] = ByRule.GetValueOrDefault(violation.Rule.Id) + 1;
            if (_examples.Count < examples)
                _examples.Add(violation);
        }

        public FileValidationResult ToResult(string key, Dataset dataset, FileDisposition disposition, string? destination, string? rejectsKey, string? errorsKey, Violation? fileError) =>
            // A quarantined file's rows all went to invalid/ with it: none of them was accepted.
            new(key, dataset, disposition, destination, RowsRead, disposition == FileDisposition.Quarantined ? 0 : Accepted, Rejected, BlankLines, ByRule, OffDateRows, rejectsKey, errorsKey, fileError, _examples,
                rejectsKey is null ? 0 : RejectedBeyondCap, Quality);
    }
}
