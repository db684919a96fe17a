using KpiPipeline.Lambda.Runtime;

namespace KpiPipeline.Lambda;

/// <summary>
/// <c>invoke --function &lt;aggregator|sweeper|acquire-lock|release-lock&gt; --event &lt;file.json&gt;</c>: serves one
/// event through the same runtime loop Lambda runs, against an in-memory Runtime API, and prints the
/// response JSON. Exit codes: 0 done, 1 the function failed (or could not start), 2 bad arguments.
/// </summary>
internal static class InvokeCommand
{
    private static readonly string Usage = $"usage: invoke --function {string.Join('|', FunctionCatalog.Names)} --event <file.json>";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (!TryParse(args, out var function, out var eventPath, out var error))
        {
            await stderr.WriteLineAsync($"error: {error}").ConfigureAwait(false);
            return ExitCodes.Rejected;
        }
        byte[] eventBody;
        try
        {
            eventBody = await File.ReadAllBytesAsync(eventPath).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: cannot read event file '{eventPath}': {e.Message}").ConfigureAwait(false);
            return ExitCodes.Rejected;
        }

        var timeProvider = TimeProvider.System;
        using var runtimeApi = new SingleEventRuntimeApi(eventBody, timeProvider.GetUtcNow() + Budget(), function);
        var loggerFactory = LambdaHost.CreateLoggerFactory();
        try
        {
            await LambdaHost.RunAsync(SingleEventRuntimeApi.HostAndPort, runtimeApi, function, loggerFactory, timeProvider, runtimeApi.Stopping).ConfigureAwait(false);
        }
        finally
        {
            // The console logger writes from a queue: drain it so the result comes after the log lines.
            loggerFactory.Dispose();
        }

        if (runtimeApi.Response is { } response)
        {
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(response)).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        // One line, no stack trace, after the log lines: the function and the loop have logged the details.
        var message = runtimeApi.Error?.ErrorMessage ?? "the runtime loop ended without an answer (see the log above)";
        await stderr.WriteLineAsync($"error: {function} failed: {message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
        return ExitCodes.Failure;
    }

    /// <summary>The one invocation's time: INVOCATION_BUDGET_SECONDS; an unusable value fails the start-up with its own message.</summary>
    private static TimeSpan Budget()
    {
        try
        {
            return LambdaSettings.FromEnvironment().InvocationBudget;
        }
        catch (ConfigurationException)
        {
            return new LambdaSettings().InvocationBudget;
        }
    }

    private static bool TryParse(string[] args, out string function, out string eventPath, out string error)
    {
        function = "";
        eventPath = "";
        error = "";
        if (args.Length == 0 || args[0] != "invoke")
        {
            error = args.Length == 0 ? $"no command. {Usage}" : $"unknown command '{args[0]}'. {Usage}";
            return false;
        }
        string? name = null;
        string? path = null;
        for (var i = 1; i < args.Length; i++)
        {
            var option = args[i];
            if (option is not ("--function" or "--event"))
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
            if (option == "--function")
                name = value;
            else
                path = value;
        }
        if (name is null)
        {
            error = $"--function is required. {Usage}";
            return false;
        }
        if (FunctionCatalog.Find(name) is null)
        {
            error = $"unknown function '{name}'; expected one of {string.Join(", ", FunctionCatalog.Names)}.";
            return false;
        }
        if (path is null)
        {
            error = $"--event is required. {Usage}";
            return false;
        }
        function = name;
        eventPath = path;
        return true;
    }
}
