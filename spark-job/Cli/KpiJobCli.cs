using System.CommandLine;
using KpiPipeline.Lake;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>The <c>kpi-job</c> command line: parses arguments, runs one use case, maps failures to one line and an exit code.</summary>
internal static class KpiJobCli
{
    public static async Task<int> InvokeAsync(string[] args)
    {
        var root = new RootCommand("kpi-job: the e-commerce KPI pipeline's KPI job and local runner.")
        {
            InitCommand.Create(),
            RunCommand.Create(),
            BatchesCommand.Create(),
            RerunCommand.Create(),
            TransformCommand.Create(),
            RecomputeCommand.Create(),
            KpisCommand.Create(),
            GenerateCommand.Create(),
            BenchCommand.Create(),
            SparkCheckCommand.Create(),
            ServeCommand.Create(),
        };
        if (UnknownCommand(root, args) is { } unknown)
        {
            await Console.Error.WriteLineAsync($"kpi-job: {unknown} (see kpi-job --help)").ConfigureAwait(false);
            return ExitCodes.Rejected;
        }
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line, not a page of usage: the user knows where --help is.
            await Console.Error.WriteLineAsync($"kpi-job: {parse.Errors[0].Message} (see kpi-job --help)").ConfigureAwait(false);
            return ExitCodes.Rejected;
        }
        return await parse.InvokeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// A first argument that names no command gets its own message: the parser would only say that a command
    /// is required, without naming the word it did not know.
    /// </summary>
    private static string? UnknownCommand(RootCommand root, string[] args)
    {
        var commands = string.Join(", ", root.Subcommands.Select(c => c.Name));
        if (args.Length == 0)
            return $"no command given; the commands are {commands}";
        var first = args[0];
        if (first.StartsWith('-') || root.Subcommands.Any(c => c.Name == first || c.Aliases.Contains(first)))
            return null;
        return $"'{first}' is not a command; the commands are {commands}";
    }

    /// <summary>Runs a command's work; expected failures become one line on standard error and an exit code.</summary>
    public static async Task<int> GuardAsync(bool verbose, Func<CommandContext, Task<int>> work)
    {
        await using var context = new CommandContext(verbose);
        try
        {
            return await work(context).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            return Fail(ExitCodes.Rejected, e.Message);
        }
        catch (Exception e) when (e is InvalidDataException or ObjectNotFoundException or InvalidObjectKeyException)
        {
            return Fail(ExitCodes.Rejected, e.Message);
        }
        catch (OperationCanceledException)
        {
            return Fail(ExitCodes.Cancelled, "cancelled");
        }
        catch (Exception e) when (Infrastructure(e) is { } failure)
        {
            if (verbose)
                await Console.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return Fail(ExitCodes.Failure, failure);
        }
        catch (Exception e) when (!verbose)
        {
            // A bug, not a data or infrastructure problem: still one line; --verbose shows the stack.
            return Fail(ExitCodes.Failure, $"unexpected {e.GetType().Name}: {e.Message} (run with --verbose for details)");
        }
    }

    private static string? Infrastructure(Exception e) =>
        (e is Pipeline.LakeBusyException ? e.Message : null)
        ?? InfrastructureFailure.Describe(e)
        ?? AwsFailures.Describe(e)
        ?? (e is SparkConnect.SparkConnectException ? $"Spark Connect failure: {e.Message}" : null);

    private static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"kpi-job: {message}");
        return exitCode;
    }
}
