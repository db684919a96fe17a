using System.Runtime.InteropServices;
using KpiPipeline.Lambda.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace KpiPipeline.Lambda;

/// <summary>Wires the runtime loop to this package's functions: in Lambda, and for the local invoke.</summary>
internal static class LambdaHost
{
    /// <summary>host:port of the Runtime API; Lambda sets it for every runtime process.</summary>
    public const string RuntimeApiVariable = "AWS_LAMBDA_RUNTIME_API";

    /// <summary>Serves <paramref name="functionName"/> until Lambda shuts the environment down (SIGTERM).</summary>
    public static async Task<int> ServeAsync(string runtimeApi, string? functionName)
    {
        var loggerFactory = CreateLoggerFactory();
        try
        {
            using var stopping = new CancellationTokenSource();
            using var shutdown = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
            {
                // Stop between events and let the logs flush, instead of dying mid-line.
                signal.Cancel = true;
                stopping.Cancel();
            });
            // The Runtime API is local to the execution environment: never through a proxy.
            var http = new SocketsHttpHandler { UseProxy = false };
            return await RunAsync(runtimeApi, http, functionName, loggerFactory, TimeProvider.System, stopping.Token).ConfigureAwait(false);
        }
        finally
        {
            // The console logger writes from a queue; disposing it drains the queue before the process exits.
            loggerFactory.Dispose();
        }
    }

    /// <summary>The loop against any Runtime API (<paramref name="http"/>): the real one, or the local invoke's in-memory one.</summary>
    public static async Task<int> RunAsync(
        string runtimeApi, HttpMessageHandler http, string? functionName, ILoggerFactory loggerFactory, TimeProvider timeProvider, CancellationToken stopping)
    {
        var logger = loggerFactory.CreateLogger(typeof(RuntimeLoop).FullName!);
        using var client = new RuntimeApiClient(runtimeApi, http, new RuntimeApiRetryOptions(), timeProvider, logger);
        var loop = new RuntimeLoop(client, timeProvider, logger);
        return await loop.RunAsync(functionName ?? "(unnamed)", () => Initialize(functionName, loggerFactory, timeProvider), stopping).ConfigureAwait(false);
    }

    /// <summary>Start-up: which function, its settings and its clients. Every failure here is an init error.</summary>
    /// <exception cref="ConfigurationException">Unknown function, a variable it needs missing or unusable.</exception>
    public static InvocationHandler Initialize(string? functionName, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        var expected = string.Join(", ", FunctionCatalog.Names);
        var definition = FunctionCatalog.Find(functionName) ?? throw new ConfigurationException(string.IsNullOrEmpty(functionName)
            ? $"{FunctionCatalog.FunctionVariable} is not set; it names the function this process serves: one of {expected}."
            : $"{FunctionCatalog.FunctionVariable} is '{functionName}', which is not a function of this package; expected one of {expected}.");
        var services = new LambdaServices(LambdaSettings.FromEnvironment(), loggerFactory) { TimeProvider = timeProvider };
        return definition.Create(services);
    }

    /// <summary>
    /// Every line to standard error: Lambda sends it to CloudWatch, and the local invoke keeps standard
    /// output for the result JSON. JSON lines in Lambda (queryable, with the request id), plain lines on a terminal.
    /// </summary>
    public static ILoggerFactory CreateLoggerFactory() => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(LogLevel.Information);
        builder.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        if (Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME") is not null)
        {
            builder.AddJsonConsole(options =>
            {
                options.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                options.UseUtcTimestamp = true;
                options.IncludeScopes = true;
            });
        }
        else
        {
            builder.AddSimpleConsole(options => options.SingleLine = true);
        }
    });
}
