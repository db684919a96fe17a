using System.Text;
using KpiPipeline.Lake;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Profiling;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Validator;

/// <summary>
/// The container's use case: validate one manifest, print the JSON result on stdout, log to stderr, and exit
/// with the code the state machine acts on: 0 valid, 2 rejected or bad arguments (no retry), 1 infrastructure (retry).
/// </summary>
internal static class ValidatorApp
{
    /// <param name="storeFactory">Tests substitute the store; by default a local folder or S3 via <see cref="AwsClients"/>.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken,
        TimeProvider? clock = null, Func<ValidateCommand, IObjectStore>? storeFactory = null)
    {
        var (command, error) = CommandLine.Parse(args);
        if (command is null)
        {
            await stderr.WriteLineAsync($"validator: {error}").ConfigureAwait(false);
            return ExitCodes.Rejected;
        }
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .AddFilter("KpiPipeline", LogLevel.Information)
            // Logs go to stderr: stdout carries only the JSON result.
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        if (command is HelpCommand)
        {
            await stdout.WriteLineAsync(CommandLine.Usage).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        return command switch
        {
            ValidateCommand validate => await ValidateAsync(validate, stdout, stderr, loggerFactory, clock ?? TimeProvider.System, storeFactory, cancellationToken).ConfigureAwait(false),
            BenchCommand bench => await Bench.RunAsync(bench, stdout, clock ?? TimeProvider.System, cancellationToken).ConfigureAwait(false),
            _ => throw new InvalidOperationException($"Unhandled command {command}."),
        };
    }

    private static async Task<int> ValidateAsync(ValidateCommand command, TextWriter stdout, TextWriter stderr, ILoggerFactory loggers, TimeProvider clock,
        Func<ValidateCommand, IObjectStore>? storeFactory, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger<BatchValidator>();
        var options = new ValidationOptions();
        if (command.MaxRejectedFraction is { } fraction)
            options = options with { MaxRejectedFraction = fraction };
        if (command.MaxFileBytes is { } bytes)
            options = options with { MaxFileBytes = bytes };
        if (command.MaxRejectsRows is { } rejectsRows)
            options = options with { MaxRejectsRows = rejectsRows };
        if (command.MaxRejectsBytes is { } rejectsBytes)
            options = options with { MaxRejectsBytes = rejectsBytes };
        ExpectationSettings expectations;
        try
        {
            expectations = command.Expectations is null ? ExpectationSettings.Default
                : await ExpectationSettings.LoadAsync(command.Expectations, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            await stderr.WriteLineAsync($"validator: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Rejected;
        }
        using var s3 = command.Bucket is null || storeFactory is not null ? null : AwsClients.CreateS3();
        var store = storeFactory?.Invoke(command)
            ?? (s3 is null ? new LocalObjectStore(command.Lake!, loggers.CreateLogger<LocalObjectStore>()) : new S3ObjectStore(s3, command.Bucket!));
        try
        {
            var result = await new BatchValidator(store, options, clock, logger, new FrameInspector(expectations)).ValidateAsync(command.ManifestKey, cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync(Encoding.UTF8.GetString(result.ToJson())).ConfigureAwait(false);
            // The human summary beside the logs, for whoever reads the task's log stream.
            await stderr.WriteAsync(result.Summary).ConfigureAwait(false);
            return result.ExitCode;
        }
        catch (ObjectNotFoundException e) when (e.Location == store.Describe(command.ManifestKey))
        {
            // The manifest itself is missing: a wrong argument, not an outage.
            await stderr.WriteLineAsync($"validator: manifest {e.Location} does not exist").ConfigureAwait(false);
            return ExitCodes.Rejected;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidObjectKeyException)
        {
            await stderr.WriteLineAsync($"validator: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Rejected;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("validator: cancelled").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception e) when ((InfrastructureFailure.Describe(e) ?? AwsFailures.Describe(e) ?? (e is ObjectNotFoundException ? e.Message : null)) is { } failure)
        {
            // Infrastructure (a file listed in the manifest vanishing mid-run included): the state machine retries.
            // The exception object goes to the log, one line to stderr.
            ValidatorLog.InfrastructureFailure(logger, e);
            await stderr.WriteLineAsync($"validator: infrastructure failure: {failure}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug. Exit 1 rather than crash with the runtime's abort code; the full exception is in the log.
            ValidatorLog.UnexpectedFailure(logger, e);
            await stderr.WriteLineAsync($"validator: unexpected {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }
}

internal static partial class ValidatorLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Error, Message = "Validation failed on the infrastructure; the run may be retried")]
    public static partial void InfrastructureFailure(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Critical, Message = "Validation failed with an unexpected exception (a bug)")]
    public static partial void UnexpectedFailure(ILogger logger, Exception exception);
}
