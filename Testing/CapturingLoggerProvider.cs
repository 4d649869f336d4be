using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>One captured log line: its EventId, and the values of its message template by name.</summary>
public sealed record LogEntry(LogLevel Level, EventId EventId, string Category, string Message, Exception? Exception,
    IReadOnlyDictionary<string, object?> Values)
{
    /// <summary>A value of the message template as text ("" when the line has no such value).</summary>
    public string Value(string name) => Values.TryGetValue(name, out var v) ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "" : "";

    public override string ToString() =>
        $"{Level} [{EventId.Id}] {Category}: {Message}" + (Exception is null ? "" : $"{Environment.NewLine}    {Exception.GetType().Name}: {Exception.Message}");
}

/// <summary>
/// Keeps every log line of a test environment, so tests can see what was logged and how often. Tests match lines
/// on their EventId (every <c>[LoggerMessage]</c> has one) and on the values of the template
/// (<see cref="LogEntry.Value"/>), never on the message text, which may be reworded. Errors a test provokes on
/// purpose are declared with <see cref="ExpectError"/>; any other line at <see cref="LogLevel.Error"/> or above
/// is <see cref="Unexpected"/>, and fails the test when its <see cref="TestEnvironment"/> is disposed.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentDictionary<int, bool> _expected = new();

    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    /// <summary>Lines with this EventId, optionally only those <paramref name="where"/> holds for.</summary>
    public IEnumerable<LogEntry> WithId(int eventId, Func<LogEntry, bool>? where = null) =>
        Entries.Where(e => e.EventId.Id == eventId && (where?.Invoke(e) ?? true));

    /// <summary>How many lines with this EventId were logged (and matched <paramref name="where"/>).</summary>
    public int Count(int eventId, Func<LogEntry, bool>? where = null) => WithId(eventId, where).Count();

    /// <summary>The lines at <paramref name="atLeast"/> or above, for an assertion and its message.</summary>
    public IReadOnlyList<LogEntry> AtLeast(LogLevel atLeast) => [.. Entries.Where(e => e.Level >= atLeast)];

    /// <summary>How many lines at <paramref name="atLeast"/> or above were logged.</summary>
    public int Count(LogLevel atLeast) => Entries.Count(e => e.Level >= atLeast);

    /// <summary>
    /// Lines whose text contains <paramref name="contains"/>. Prefer <see cref="Count(int, Func{LogEntry, bool}?)"/>:
    /// message text is reworded, EventIds stay.
    /// </summary>
    public int Count(LogLevel atLeast, string contains) =>
        Entries.Count(e => e.Level >= atLeast && e.Message.Contains(contains, StringComparison.Ordinal));

    /// <summary>Declares that lines with this EventId at Error or above are what the test provokes: they do not fail it.</summary>
    public void ExpectError(int eventId) => _expected[eventId] = true;

    /// <summary>Lines at Error or above whose EventId the test did not declare with <see cref="ExpectError"/>.</summary>
    public IReadOnlyList<LogEntry> Unexpected() =>
        [.. Entries.Where(e => e.Level >= LogLevel.Error && !_expected.ContainsKey(e.EventId.Id))];

    /// <summary>Throws, naming each unexpected error line, when there is one.</summary>
    public void ThrowIfUnexpectedErrors()
    {
        var unexpected = Unexpected();
        if (unexpected.Count == 0) return;
        var text = new StringBuilder($"the hosts logged {unexpected.Count} unexpected error line(s) (a test that provokes one declares it with ExpectError(eventId)):");
        foreach (var e in unexpected.Take(10)) text.Append(Environment.NewLine).Append("  ").Append(e);
        text.Append(Environment.NewLine).Append("last lines:").Append(Environment.NewLine).Append(Tail(20));
        throw new UnexpectedLogException(text.ToString());
    }

    /// <summary>The last lines logged, for a failing assertion's message.</summary>
    public string Tail(int lines = 40) =>
        string.Join(Environment.NewLine, Entries.TakeLast(lines).Select(e => $"{e.Level} [{e.EventId.Id}] {e.Category}: {e.Message}"));

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
                foreach (var (name, value) in pairs) values[name] = value;
            owner.Entries.Enqueue(new LogEntry(logLevel, eventId, category, formatter(state, exception), exception, values));
        }
    }
}

/// <summary>A host logged an error the test did not expect, or left a task exception nobody observed.</summary>
public sealed class UnexpectedLogException(string message) : Exception(message);
