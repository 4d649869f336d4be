using Microsoft.Extensions.Time.Testing;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests.Backends;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that keeps the due time of every timer made on it (Task.Delay, timeouts), so a
/// test moves the clock only once the wait it is about is armed, and can check how long that wait was.
/// </summary>
public sealed class WatchedClock : FakeTimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<TimeSpan> _dues = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The due times of the timers made so far, oldest first.</summary>
    public IReadOnlyList<TimeSpan> Dues
    {
        get { lock (_lock) return [.. _dues]; }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        TaskCompletionSource changed;
        lock (_lock)
        {
            _dues.Add(dueTime);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
        return timer;
    }

    /// <summary>
    /// Waits (with a deadline) until <paramref name="count"/> timers matching <paramref name="match"/> were made, among
    /// those made after the first <paramref name="since"/> (<see cref="Dues"/>' count before the step the wait is about,
    /// so an older timer of the same length is not taken for it); returns their due times.
    /// </summary>
    public async Task<List<TimeSpan>> WaitForTimersAsync(int count, Func<TimeSpan, bool> match, string what, int since = 0)
    {
        using var deadline = new CancellationTokenSource(Deadline.Default);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                var found = _dues.Skip(since).Where(match).ToList();
                if (found.Count >= count) return found;
                changed = _changed.Task;
            }
            try { await changed.WaitAsync(deadline.Token); }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{what}: {count} timer(s) not armed within {Deadline.Default.TotalSeconds} s (due times seen: {string.Join(", ", Dues)})");
            }
        }
    }
}
