using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MqttIoT.Tests.Ble;

/// <summary>Every log line of the loggers it is added to, with its EventId: the BLE tests' log assertions match on the id.</summary>
public sealed class EventLog : ILoggerProvider
{
    public ConcurrentQueue<(int EventId, LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    /// <summary>How many lines with this EventId were logged.</summary>
    public int Count(int eventId) => Entries.Count(e => e.EventId == eventId);

    /// <summary>How many lines with this EventId and this text in their message were logged.</summary>
    public int Count(int eventId, string contains) => Entries.Count(e => e.EventId == eventId && e.Message.Contains(contains, StringComparison.Ordinal));

    /// <summary>The lines at <paramref name="atLeast"/> or above, for an assertion and its message.</summary>
    public List<string> AtLeast(LogLevel atLeast) =>
        [.. Entries.Where(e => e.Level >= atLeast).Select(e => $"{e.Level} {e.EventId} {e.Category}: {e.Message}")];

    private sealed class Logger(EventLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner.Entries.Enqueue((eventId.Id, logLevel, category, formatter(state, exception) + (exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")));
        }
    }
}
