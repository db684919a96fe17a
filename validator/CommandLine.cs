using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using CliCommand = System.CommandLine.Command;

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

/// <summary>
/// The validator's grammar on System.CommandLine, as kpi-job's. Every mistake must give one line on stderr and exit 2,
/// so values are parsed by the options' own parsers in the validator's words, and the parser's own features that
/// would change what an argument means (@file response files, --version, /? and /h for help) are left out.
/// </summary>
internal static class CommandLine
{
    /// <summary>Printed by <c>--help</c> instead of the generated help: the README quotes it, and the container's users know it.</summary>
    public const string Usage =
        "usage: validator --manifest <key> (--bucket <name> | --lake <folder>) [--max-rejected-fraction 0.05] [--max-file-mb N]\n" +
        "                 [--max-rejects-rows 100000] [--max-rejects-mb 64] [--expectations <file.json>]\n" +
        "       validator bench [--items 1000000] [--rounds 5] [--reject-early] [--folder <dir>] [--keep]";

    private const int MaxMegabytes = 1024 * 1024;

    /// <summary>The command, or a one-line error.</summary>
    public static (Command? Command, string? Error) Parse(IReadOnlyList<string> args)
    {
        var grammar = new Grammar();
        var parse = grammar.Root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.GetResult(grammar.Help) is not null)
            return (new HelpCommand(), null);
        var bench = parse.CommandResult.Command == grammar.Bench;
        if (bench && (args.Count == 0 || args[0] != "bench"))
        {
            // Options before it belong to a validation: "bench" there is a stray word, not the command.
            return (null, "unexpected argument 'bench'");
        }
        if (parse.UnmatchedTokens.Count > 0)
            return (null, Unexpected(parse.UnmatchedTokens[0], bench));
        if (parse.Errors.Count > 0)
        {
            // One mistake, one line, worded by the options' parsers and validators.
            return (null, parse.Errors[0].Message);
        }
        if (bench)
        {
            return (new BenchCommand(parse.GetValue(grammar.Items)!.Value, parse.GetValue(grammar.Rounds)!.Value, parse.GetValue(grammar.Folder),
                parse.GetValue(grammar.Keep), parse.GetValue(grammar.RejectEarly)), null);
        }
        if (grammar.TargetMistake(parse) is { } mistake)
            return (null, mistake);
        return (new ValidateCommand(parse.GetValue(grammar.Manifest)!, parse.GetValue(grammar.Bucket), parse.GetValue(grammar.Lake),
            parse.GetValue(grammar.MaxRejectedFraction), parse.GetValue(grammar.MaxFileMegabytes) * 1024 * 1024,
            parse.GetValue(grammar.MaxRejectsRows), parse.GetValue(grammar.MaxRejectsMegabytes) * 1024 * 1024, parse.GetValue(grammar.Expectations)), null);
    }

    private static string Unexpected(string token, bool bench) =>
        bench ? $"unexpected bench argument '{token}'"
        : token.StartsWith("--", StringComparison.Ordinal) ? $"unknown option '{token}'"
        : $"unexpected argument '{token}'";

    /// <summary>The options and commands of one parse (System.CommandLine symbols belong to one parent each).</summary>
    private sealed class Grammar
    {
        public readonly HelpOption Help = new("--help", "-h") { Description = "Print the usage and exit." };
        public readonly Option<string?> Manifest = Valued<string?>("--manifest", "The batch manifest's key, e.g. batches/2024-01-15/v0001.json.", text => text, _ => "");
        public readonly Option<string?> Bucket = Valued<string?>("--bucket", "The S3 bucket holding the lake.", text => text, _ => "");
        public readonly Option<string?> Lake = Valued<string?>("--lake", "A local folder holding the lake.", text => text, _ => "");

        public readonly Option<double?> MaxRejectedFraction = Valued("--max-rejected-fraction", "The largest share of a file's rows that may be rejected (default 0.05).",
            text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f is >= 0 and <= 1 ? f : (double?)null,
            text => $"--max-rejected-fraction must be a number from 0 to 1, not '{text}'");

        public readonly Option<long?> MaxFileMegabytes = Megabytes("--max-file-mb", "The largest file validated, in megabytes.");

        public readonly Option<long?> MaxRejectsRows = Valued("--max-rejects-rows", "Rejected rows kept per file (default 100000).",
            text => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rows) ? rows : (long?)null,
            text => $"--max-rejects-rows must be a whole number of rows, not '{text}'");

        public readonly Option<long?> MaxRejectsMegabytes = Megabytes("--max-rejects-mb", "Rejected rows kept per file, in megabytes (default 64).");

        public readonly Option<string?> Expectations = Valued<string?>("--expectations", "A JSON file overriding the frame-level checks' sample sizes and bounds.",
            text => File.Exists(text) ? text : null, text => $"expectations file '{text}' does not exist");

        public readonly Option<int?> Items = Valued<int?>("--items", "Order items to generate (default 1000000).",
            text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var items) && items >= 1 ? items : (int?)null,
            text => $"--items must be a positive whole number, not '{text}'", 1_000_000);

        public readonly Option<int?> Rounds = Valued<int?>("--rounds", "Measured validations, each of a freshly generated lake (default 5).",
            text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rounds) && rounds is >= 1 and <= 100 ? rounds : (int?)null,
            text => $"--rounds must be a whole number from 1 to 100, not '{text}'", 5);

        public readonly Option<string?> Folder = Valued<string?>("--folder", "Where to generate the lakes (default: a temporary folder).", text => text, _ => "");
        public readonly Option<bool> Keep = Flag("--keep", "Keep the generated lakes instead of deleting them.");
        public readonly Option<bool> RejectEarly = Flag("--reject-early", "One bad row at the top of every part, so every file is rewritten rather than moved.");

        public readonly CliCommand Bench;
        public readonly RootCommand Root;

        public Grammar()
        {
            Bench = new CliCommand("bench", "Throughput benchmark: validate freshly generated batches and print MB/s and peak memory.")
            {
                Items, Rounds, Folder, Keep, RejectEarly,
            };
            Root = new RootCommand("validator: validates one batch of the shop export before the KPI job may use it.")
            {
                Manifest, Bucket, Lake, MaxRejectedFraction, MaxFileMegabytes, MaxRejectsRows, MaxRejectsMegabytes, Expectations, Bench,
            };
            // The generated help and version option go: --help prints Usage, and --version is not an option of the validator.
            foreach (var option in Root.Options.Where(o => o is HelpOption or VersionOption).ToList())
                Root.Options.Remove(option);
            Root.Options.Add(Help);
            // Only parsed, never invoked (ValidatorApp runs the command); without an action the root would be a mere
            // group of subcommands, and a validation would be reported as a missing command.
            Root.SetAction(_ => ExitCodes.Success);
        }

        /// <summary>
        /// The rules across options, in the order a user fixes them. Checked after the parse rather than as a root
        /// command validator: System.CommandLine leaves the options' own mistakes unreported when a command validator
        /// fails, and a missing or malformed value must be named before a rule it breaks.
        /// </summary>
        public string? TargetMistake(ParseResult parse)
        {
            if (string.IsNullOrWhiteSpace(parse.GetValue(Manifest)))
                return "--manifest <key> is required";
            if ((parse.GetValue(Bucket) is null) == (parse.GetValue(Lake) is null))
                return "give exactly one of --bucket <name> or --lake <folder>";
            if (parse.GetValue(Lake) is { } lake && !Directory.Exists(lake))
                return $"lake folder '{lake}' does not exist";
            return null;
        }

        private static Option<long?> Megabytes(string name, string description) => Valued(name, description,
            text => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var mb) && mb is >= 1 and <= MaxMegabytes ? mb : (long?)null,
            text => $"{name} must be a whole number of megabytes from 1, not '{text}'");

        private static Option<bool> Flag(string name, string description) => new(name)
        {
            Description = description,
            // A flag takes no value: "--keep true" is a mistake, not a spelling of --keep.
            Arity = ArgumentArity.Zero,
        };

        /// <summary>
        /// An option with one value, read by <paramref name="read"/> (null: not a valid value, worded by <paramref name="mistake"/>).
        /// The parser is allowed any number of values so that a missing one is named in the validator's words and a
        /// repeated option's last value wins; each occurrence still takes one word, and a word starting with "--" is never a value.
        /// </summary>
        private static Option<T> Valued<T>(string name, string description, Func<string, T?> read, Func<string, string> mistake, T? fallback = default)
        {
            var option = new Option<T>(name)
            {
                Description = description,
                Arity = ArgumentArity.ZeroOrMore,
                DefaultValueFactory = _ => fallback!,
                CustomParser = result =>
                {
                    var text = result.Tokens[^1].Value;
                    if (read(text) is { } value)
                        return value;
                    result.AddError(mistake(text));
                    return fallback!;
                },
            };
            option.Validators.Add(result =>
            {
                if (!result.Implicit && (result.Tokens.Count < result.IdentifierTokenCount || result.Tokens.Any(t => t.Value.StartsWith("--", StringComparison.Ordinal))))
                    result.AddError($"option {name} needs a value");
            });
            return option;
        }
    }
}
