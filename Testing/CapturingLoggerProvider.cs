using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>Keeps every log line of a test environment, so tests can see what was logged (and how often).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    public int Count(LogLevel atLeast, string contains) =>
        Entries.Count(e => e.Level >= atLeast && e.Message.Contains(contains, StringComparison.Ordinal));

    /// <summary>The last lines logged, for a failing assertion's message.</summary>
    public string Tail(int lines = 40) =>
        string.Join(Environment.NewLine, Entries.TakeLast(lines).Select(e => $"{e.Level} {e.Category}: {e.Message}"));

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner.Entries.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
