using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace KpiPipeline.Lambda.Tests.Infrastructure;

/// <summary>Keeps every log line so a test can check that each record and each batch got one.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyCollection<LogLine> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new ListLogger(_lines);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class ListLogger(ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(new LogLine(logLevel, eventId.Id, formatter(state, exception), exception));
    }
}

internal sealed record LogLine(LogLevel Level, int EventId, string Message, Exception? Exception);
