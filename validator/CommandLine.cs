using System.Globalization;

namespace KpiPipeline.Validator;

/// <summary>What the command line asks for.</summary>
internal abstract record Command;

/// <param name="Bucket">The S3 bucket holding the lake, or null with <paramref name="Lake"/>.</param>
/// <param name="Lake">A local folder holding the lake, or null with <paramref name="Bucket"/>.</param>
/// <param name="Expectations">A JSON file overriding the frame-level checks' sample sizes and bounds.</param>
internal sealed record ValidateCommand(string ManifestKey, string? Bucket, string? Lake, double? MaxRejectedFraction, long? MaxFileBytes,
    long? MaxRejectsRows = null, long? MaxRejectsBytes = null, string? Expectations = null) : Command;

/// <summary><c>--help</c>: the usage on stdout, exit 0.</summary>
internal sealed record HelpCommand : Command;

/// <param name="Items">Order items to generate.</param>
/// <param name="Rounds">Measured validations, each of a freshly generated lake.</param>
/// <param name="Keep">Keep the generated lakes (printed) instead of deleting them.</param>
/// <param name="RejectEarly">One bad row at the top of every part, so every file is rewritten rather than moved.</param>
internal sealed record BenchCommand(int Items, int Rounds, string? Folder, bool Keep, bool RejectEarly = false) : Command;

/// <summary>Hand-parsed: the grammar is small, and every mistake must give one line on stderr and exit 2.</summary>
internal static class CommandLine
{
    public const string Usage =
        "usage: validator --manifest <key> (--bucket <name> | --lake <folder>) [--max-rejected-fraction 0.05] [--max-file-mb N]\n" +
        "                 [--max-rejects-rows 100000] [--max-rejects-mb 64] [--expectations <file.json>]\n" +
        "       validator bench [--items 1000000] [--rounds 5] [--reject-early] [--folder <dir>] [--keep]";

    /// <summary>The command, or a one-line error.</summary>
    public static (Command? Command, string? Error) Parse(IReadOnlyList<string> args)
    {
        if (args.Count > 0 && args[0] == "bench")
            return ParseBench(args.Skip(1).ToArray());
        if (args.Any(a => a is "-h" or "--help"))
            return (new HelpCommand(), null);
        string? manifest = null, bucket = null, lake = null, expectations = null;
        double? fraction = null;
        long? maxFileBytes = null, maxRejectsRows = null, maxRejectsBytes = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
                return (null, $"unexpected argument '{name}'");
            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                return (null, $"option {name} needs a value");
            var value = args[++i];
            switch (name)
            {
                case "--manifest":
                    manifest = value;
                    break;
                case "--bucket":
                    bucket = value;
                    break;
                case "--lake":
                    lake = value;
                    break;
                case "--max-rejected-fraction":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) || !(f is >= 0 and <= 1))
                        return (null, $"--max-rejected-fraction must be a number from 0 to 1, not '{value}'");
                    fraction = f;
                    break;
                case "--max-file-mb":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mb) || mb is < 1 or > 1024 * 1024)
                        return (null, $"--max-file-mb must be a whole number of megabytes from 1, not '{value}'");
                    maxFileBytes = mb * 1024 * 1024;
                    break;
                case "--expectations":
                    if (!File.Exists(value))
                        return (null, $"expectations file '{value}' does not exist");
                    expectations = value;
                    break;
                case "--max-rejects-rows":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var rows))
                        return (null, $"--max-rejects-rows must be a whole number of rows, not '{value}'");
                    maxRejectsRows = rows;
                    break;
                case "--max-rejects-mb":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var rejectsMb) || rejectsMb is < 1 or > 1024 * 1024)
                        return (null, $"--max-rejects-mb must be a whole number of megabytes from 1, not '{value}'");
                    maxRejectsBytes = rejectsMb * 1024 * 1024;
                    break;
                default:
                    return (null, $"unknown option '{name}'");
            }
        }
        if (string.IsNullOrWhiteSpace(manifest))
            return (null, "--manifest <key> is required");
        if ((bucket is null) == (lake is null))
            return (null, "give exactly one of --bucket <name> or --lake <folder>");
        if (lake is not null && !Directory.Exists(lake))
            return (null, $"lake folder '{lake}' does not exist");
        return (new ValidateCommand(manifest, bucket, lake, fraction, maxFileBytes, maxRejectsRows, maxRejectsBytes, expectations), null);
    }

    private static (Command? Command, string? Error) ParseBench(string[] args)
    {
        var items = 1_000_000;
        var rounds = 5;
        string? folder = null;
        var keep = false;
        var rejectEarly = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--keep":
                    keep = true;
                    break;
                case "--reject-early":
                    rejectEarly = true;
                    break;
                case "--items" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out items) || items < 1)
                        return (null, $"--items must be a positive whole number, not '{args[i]}'");
                    break;
                case "--rounds" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out rounds) || rounds is < 1 or > 100)
                        return (null, $"--rounds must be a whole number from 1 to 100, not '{args[i]}'");
                    break;
                case "--folder" when i + 1 < args.Length:
                    folder = args[++i];
                    break;
                default:
                    return (null, $"unexpected bench argument '{args[i]}'");
            }
        }
        return (new BenchCommand(items, rounds, folder, keep, rejectEarly), null);
    }
}
