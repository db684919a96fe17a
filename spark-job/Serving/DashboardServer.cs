using KpiPipeline.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.SparkJob.Serving;

/// <summary>
/// The ASP.NET Core host of <see cref="DashboardApi"/>: minimal-API routes for each of its resources, every
/// request handed to the framework-free API the Lambda serves too. No static files, no state, nothing written.
/// </summary>
internal static class DashboardServer
{
    public static async Task RunAsync(DashboardApi api, string source, string host, int port, bool verbose, CancellationToken cancellationToken)
    {
        await using var app = Build(api, host, port, verbose);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // One line on standard output with the bound address: with --port 0 it is how a caller learns the port.
        await Console.Out.WriteLineAsync($"Serving the KPI dashboard of {source} at {address}/ (read-only; Ctrl+C stops)").ConfigureAwait(false);
        await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: a normal stop.
        }
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>How long a stopping server waits for requests still being served.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    public static WebApplication Build(DashboardApi api, string host, int port, bool verbose)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.WebHost.UseUrls($"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}");
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        // A connection still open when the server stops does not hold the process for the default 30 s.
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeout);
        var app = builder.Build();
        Task Handle(HttpContext http) => ServeAsync(api, http);
        foreach (var route in DashboardApi.Routes)
            app.MapGet(route, Handle);
        // Anything else (another path, another method) still gets the API's problem details, not an empty 404.
        app.MapFallback(Handle);
        return app;
    }

    private static async Task ServeAsync(DashboardApi api, HttpContext http)
    {
        var query = http.Request.Query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        var request = new DashboardRequest(http.Request.Method, http.Request.Path.Value ?? "/", query);
        var response = await api.HandleAsync(request, http.RequestAborted).ConfigureAwait(false);
        http.Response.StatusCode = response.StatusCode;
        http.Response.ContentType = response.ContentType;
        foreach (var (name, value) in DashboardApi.ResponseHeaders)
            http.Response.Headers[name] = value;
        if (!HttpMethods.IsHead(http.Request.Method))
            await http.Response.Body.WriteAsync(response.Body, http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The command line owns Ctrl+C and SIGTERM: its token ends <see cref="RunAsync"/>, which stops the server. The
    /// host's default console lifetime would handle the same signals on the same thread, a second handler starting a
    /// second shutdown alongside the first.
    /// </summary>
    private sealed class CommandLineLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
