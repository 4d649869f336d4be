namespace MqttIoT.Protocol;

/// <summary>How a <see cref="Backoff"/> grows: from <see cref="MinDelay"/>, doubling, up to <see cref="MaxDelay"/>.</summary>
public sealed class BackoffOptions
{
    /// <summary>The first wait.</summary>
    public TimeSpan MinDelay { get; set; } = TimeSpan.FromMilliseconds(100);
    /// <summary>The longest wait.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Each wait is stretched by up to this fraction of itself, at random, so many clients cut off together do not return together.</summary>
    public double Jitter { get; set; } = 0.2;

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (MinDelay <= TimeSpan.Zero || MaxDelay < MinDelay) throw new ArgumentException("backoff delays must be positive and min <= max");
        if (Jitter is < 0 or > 1 || double.IsNaN(Jitter)) throw new ArgumentException("backoff jitter must be between 0 and 1");
    }
}

/// <summary>
/// Capped exponential backoff with jitter, the one every retry loop uses (broker reconnects, first connects, OPC UA
/// and BLE links). Waits run on the injected <see cref="TimeProvider"/>, so a fake clock drives them in tests.
/// Not thread-safe: one loop owns one instance.
/// </summary>
public sealed class Backoff
{
    private readonly BackoffOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private TimeSpan _next;

    /// <summary>Creates a backoff at its first step.</summary>
    public Backoff(BackoffOptions options, TimeProvider? timeProvider = null, Random? random = null)
    {
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _random = random ?? Random.Shared;
        _next = options.MinDelay;
    }

    /// <summary>Creates a backoff from a pair of delays, with the default jitter.</summary>
    public Backoff(TimeSpan minDelay, TimeSpan maxDelay, TimeProvider? timeProvider = null)
        : this(new BackoffOptions { MinDelay = minDelay, MaxDelay = maxDelay }, timeProvider) { }

    /// <summary>The base of the next wait (before jitter): what a log line says the next try waits.</summary>
    public TimeSpan Current => _next;

    /// <summary>How many waits were taken since the last <see cref="Reset"/>.</summary>
    public int Attempts { get; private set; }

    /// <summary>The next wait, with jitter, and moves one step up.</summary>
    public TimeSpan Next()
    {
        var delay = _next + TimeSpan.FromTicks((long)(_random.NextDouble() * _options.Jitter * _next.Ticks));
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, _options.MaxDelay.Ticks));
        Attempts++;
        return delay;
    }

    /// <summary>Waits the next delay on the clock.</summary>
    public Task DelayAsync(CancellationToken cancellationToken) => Task.Delay(Next(), _time, cancellationToken);

    /// <summary>Back to the first step (after a success).</summary>
    public void Reset()
    {
        _next = _options.MinDelay;
        Attempts = 0;
    }
}
