namespace MqttIoT.OpcUa.Testing;

/// <summary>
/// The system clock, writing down every timer made on it: when the code under test asked for it, for how long, and
/// when it fired. Tests read the delays and renewal times off it instead of guessing them from outside. (Its namespace is
/// the one it had beside the OPC UA test server, where it was first used.)
/// </summary>
public sealed class RecordingTimeProvider : TimeProvider
{
    private readonly List<RecordedTimer> _timers = [];

    /// <summary>The timers made so far, oldest first.</summary>
    public IReadOnlyList<RecordedTimer> Timers
    {
        get { lock (_timers) return [.. _timers]; }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new RecordedTimer(dueTime, period, GetTimestamp());
        lock (_timers) _timers.Add(timer);
        return base.CreateTimer(s =>
        {
            timer.Fired(GetTimestamp());
            callback(s);
        }, state, dueTime, period);
    }
}

/// <summary>One timer of a <see cref="RecordingTimeProvider"/>; timestamps are the provider's.</summary>
public sealed class RecordedTimer(TimeSpan due, TimeSpan period, long createdAt)
{
    private long _firstFiredAt;

    public TimeSpan Due { get; } = due;

    public TimeSpan Period { get; } = period;

    public long CreatedAt { get; } = createdAt;

    /// <summary>When it first fired, or null.</summary>
    public long? FirstFiredAt => Interlocked.Read(ref _firstFiredAt) is var at and not 0 ? at : null;

    internal void Fired(long at) => Interlocked.CompareExchange(ref _firstFiredAt, at, 0);
}
