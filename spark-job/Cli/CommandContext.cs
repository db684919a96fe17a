using KpiPipeline.Lake;
using KpiPipeline.SparkJob.SparkConnect;
using KpiPipeline.Transform;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary>What every command gets: the clock, logging to standard error, and consoles for people and programs.</summary>
internal sealed class CommandContext(bool verbose) : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    public TimeProvider Clock { get; } = TimeProvider.System;

    public ILoggerFactory Logging { get; } = LoggerFactory.Create(builder => builder
        .SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        })
        .AddFilter("System.Net.Http", LogLevel.Warning));

    /// <summary>Tables and progress go to standard output; messages and logs to standard error.</summary>
    public IAnsiConsole Out { get; } = CreateConsole(Console.Out, Console.IsOutputRedirected);

    public IAnsiConsole Error { get; } = CreateConsole(Console.Error, Console.IsErrorRedirected);

    /// <summary>A redirected stream gets plain text, wide enough that tables are not squeezed to 80 columns.</summary>
    private static IAnsiConsole CreateConsole(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected)
            console.Profile.Width = 160;
        return console;
    }

    /// <summary>
    /// Rejects bad engine arguments before anything is opened, so a wrong command line never creates a lock, a
    /// database or a tracker file in the lake.
    /// </summary>
    public static void CheckEngineArguments(string engine, string? sparkRemote)
    {
        if (engine is not ("inprocess" or "spark"))
            throw new UsageException($"unknown engine '{engine}' (use inprocess or spark)");
        if (engine == "spark")
            ParseSparkRemote(sparkRemote);
    }

    public IKpiEngine CreateEngine(string engine, string? sparkRemote, IObjectStore store)
    {
        CheckEngineArguments(engine, sparkRemote);
        return engine == "spark" ? CreateSparkEngine(sparkRemote, store) : new InProcessKpiEngine(store);
    }

    private SparkKpiEngine CreateSparkEngine(string? sparkRemote, IObjectStore store)
    {
        var client = CreateSparkClient(sparkRemote);
        try
        {
            return new SparkKpiEngine(client, store);
        }
        catch (ArgumentException e)
        {
            // A local lake whose path Spark would read as a glob pattern.
            throw new UsageException(e.Message);
        }
    }

    private static SparkConnectionString ParseSparkRemote(string? sparkRemote)
    {
        if (sparkRemote is null)
            throw new UsageException("--engine spark needs --spark-remote sc://host:15002/;token=…");
        try
        {
            return SparkConnectionString.Parse(sparkRemote);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>A client for <c>--spark-remote</c>, released (with its server session) when the command ends.</summary>
    public SparkConnectClient CreateSparkClient(string? sparkRemote)
    {
        var connection = ParseSparkRemote(sparkRemote);
        var client = new SparkConnectClient(connection, new SparkConnectClientOptions { Logger = Logging.CreateLogger<SparkConnectClient>() });
        _owned.Add(client);
        return client;
    }

    public KpiJob CreateJob(LakeTarget target, IKpiEngine engine) =>
        new(target.Store, target.Kpis, engine, Clock, Logging.CreateLogger<KpiJob>());

    public async ValueTask DisposeAsync()
    {
        // The reverse of creation, as with nested using blocks.
        for (var i = _owned.Count - 1; i >= 0; i--)
            await _owned[i].DisposeAsync().ConfigureAwait(false);
        Logging.Dispose();
    }
}
