using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>Keeps every log line of a test environment, so tests can see what was logged (and how often).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    private readonly ConcurrentDictionary<int, int> _eventIds = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>How many lines were logged with this EventId.</summary>
    public int CountEventId(int eventId) => _eventIds.GetValueOrDefault(eventId);

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
            if (!IsEnabled(logLevel)) return;
            owner._eventIds.AddOrUpdate(eventId.Id, 1, (_, n) => n + 1);
            owner.Entries.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
