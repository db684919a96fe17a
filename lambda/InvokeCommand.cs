namespace KpiPipeline.Lambda;

/// <summary>
/// <c>invoke --handler &lt;s3-event|sweep|acquire-lock|release-lock&gt; --event &lt;file.json&gt;</c>: runs a handler
/// on an event file through the same parameterless constructor and method Lambda calls, and prints the
/// result JSON. Exit codes: 0 done, 1 the handler failed, 2 bad arguments.
/// </summary>
internal static class InvokeCommand
{
    public const int Success = 0;
    public const int HandlerFailed = 1;
    public const int BadArguments = 2;

    private const string Usage = "usage: invoke [--handler s3-event|sweep|acquire-lock|release-lock] --event <file.json>";

    private static readonly Dictionary<string, Func<Stream, Task<Stream>>> Handlers = new(StringComparer.Ordinal)
    {
        ["s3-event"] = input => new Function().HandleAsync(input),
        ["sweep"] = input => new Function().SweepAsync(input),
        ["acquire-lock"] = input => new DateLockFunction().AcquireAsync(input),
        ["release-lock"] = input => new DateLockFunction().ReleaseAsync(input),
    };

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, Func<Stream, Task<Stream>>>? handlers = null)
    {
        handlers ??= Handlers;
        if (!TryParse(args, handlers, out var handler, out var eventPath, out var error))
        {
            await stderr.WriteLineAsync($"error: {error}").ConfigureAwait(false);
            return BadArguments;
        }
        Stream input;
        try
        {
            input = File.OpenRead(eventPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: cannot read event file '{eventPath}': {e.Message}").ConfigureAwait(false);
            return BadArguments;
        }
        try
        {
            await using (input.ConfigureAwait(false))
            {
                var output = await handlers[handler](input).ConfigureAwait(false);
                // The console logger writes from a queue; drain it so the result comes after the log lines.
                LambdaRuntime.FlushLogs();
                await using (output.ConfigureAwait(false))
                {
                    using var reader = new StreamReader(output);
                    await stdout.WriteLineAsync(await reader.ReadToEndAsync().ConfigureAwait(false)).ConfigureAwait(false);
                }
            }
            return Success;
        }
        catch (Exception e)
        {
            // The command line's outermost boundary: whatever the handler threw, Lambda would have failed
            // the invocation; here that is exit code 1.
            // One line, no stack trace, after the log lines: the handler has logged the details.
            LambdaRuntime.FlushLogs();
            await stderr.WriteLineAsync($"error: {handler} failed: {OneLine(e.Message)}").ConfigureAwait(false);
            return HandlerFailed;
        }
    }

    private static bool TryParse(
        string[] args, IReadOnlyDictionary<string, Func<Stream, Task<Stream>>> handlers,
        out string handler, out string eventPath, out string error)
    {
        handler = "s3-event";
        eventPath = "";
        error = "";
        if (args.Length == 0 || args[0] != "invoke")
        {
            error = args.Length == 0 ? $"no command. {Usage}" : $"unknown command '{args[0]}'. {Usage}";
            return false;
        }
        string? path = null;
        for (var i = 1; i < args.Length; i++)
        {
            var option = args[i];
            if (option is not ("--handler" or "--event"))
            {
                error = $"unknown option '{option}'. {Usage}";
                return false;
            }
            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                error = $"{option} needs a value. {Usage}";
                return false;
            }
            var value = args[++i];
            if (option == "--handler")
                handler = value;
            else
                path = value;
        }
        if (!handlers.ContainsKey(handler))
        {
            error = $"unknown handler '{handler}'; expected one of {string.Join(", ", handlers.Keys)}.";
            return false;
        }
        if (path is null)
        {
            error = $"--event is required. {Usage}";
            return false;
        }
        eventPath = path;
        return true;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
