using System.CommandLine;
using Amazon.Runtime;
using KpiPipeline.Lake;
using KpiPipeline.Stores;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>The <c>kpi-job</c> command line: parses arguments, runs one use case, maps failures to one line and an exit code.</summary>
internal static class KpiJobCli
{
    public static async Task<int> InvokeAsync(string[] args)
    {
        var root = new RootCommand("kpi-job: the e-commerce KPI pipeline's KPI job and local runner.")
        {
            RunCommand.Create(),
            TransformCommand.Create(),
            RecomputeCommand.Create(),
            KpisCommand.Create(),
            GenerateCommand.Create(),
            BenchCommand.Create(),
            SparkCheckCommand.Create(),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line, not a page of usage: the user knows where --help is.
            await Console.Error.WriteLineAsync($"kpi-job: {parse.Errors[0].Message} (see kpi-job --help)").ConfigureAwait(false);
            return ExitCodes.Rejected;
        }
        return await parse.InvokeAsync().ConfigureAwait(false);
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
        catch (Exception e) when (e is InvalidDataException or ObjectNotFoundException)
        {
            return Fail(ExitCodes.Rejected, e.Message);
        }
        catch (OperationCanceledException)
        {
            return Fail(ExitCodes.Cancelled, "cancelled");
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or KpiStoreException or IOException or SparkConnect.SparkConnectException)
        {
            if (verbose)
                await Console.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return Fail(ExitCodes.Failure, $"{e.GetType().Name}: {e.Message}");
        }
        catch (Exception e) when (!verbose)
        {
            // A bug, not a data or infrastructure problem: still one line; --verbose shows the stack.
            return Fail(ExitCodes.Failure, $"unexpected {e.GetType().Name}: {e.Message} (run with --verbose for details)");
        }
    }

    private static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"kpi-job: {message}");
        return exitCode;
    }
}
