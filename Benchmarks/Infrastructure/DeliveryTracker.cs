using System.Diagnostics;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// Counts messages numbered 0..n-1 delivered to every one of a set of subscribers, and closes the load loop:
/// a sender takes a slot of the window before each message and gets it back when every subscriber has the
/// message, so no queue anywhere (gateway, broker, client) holds more than the window and nothing overflows.
/// A message missing at a subscriber stalls the window, which a timeout turns into a reported loss.
/// </summary>
public sealed class DeliveryTracker : IDisposable
{
    private readonly int[] _remaining;
    private readonly long[] _sentAt;
    private readonly SemaphoreSlim _window;
    private readonly LatencyRecorder? _latencies;
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _completed;
    private long _delivered;
    private long _unexpected;
    private long _lastDeliveryAt;

    /// <summary>Tracks <paramref name="messages"/> messages to <paramref name="subscribers"/> subscribers.</summary>
    public DeliveryTracker(int messages, int subscribers, int window, LatencyRecorder? latencies = null)
    {
        Messages = messages;
        Subscribers = subscribers;
        _remaining = new int[messages];
        Array.Fill(_remaining, subscribers);
        _sentAt = new long[messages];
        _window = new SemaphoreSlim(window);
        _latencies = latencies;
    }

    /// <summary>Messages to send.</summary>
    public int Messages { get; }

    /// <summary>Subscribers each should get every message.</summary>
    public int Subscribers { get; }

    /// <summary>Deliveries so far (a message to one subscriber).</summary>
    public long DeliveryCount => Interlocked.Read(ref _delivered);

    /// <summary>Messages every subscriber has.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Deliveries of a number out of range or delivered more often than there are subscribers (duplicates).</summary>
    public long Unexpected => Interlocked.Read(ref _unexpected);

    /// <summary>Stopwatch timestamp of the last delivery.</summary>
    public long LastDeliveryAt => Interlocked.Read(ref _lastDeliveryAt);

    /// <summary>Waits for a window slot; false when none came free within <paramref name="stall"/> (something was lost or stuck).</summary>
    public Task<bool> AcquireAsync(TimeSpan stall, CancellationToken cancellationToken) => _window.WaitAsync(stall, cancellationToken);

    /// <summary>Stamps the send time of a message (for latencies).</summary>
    public void Sent(int sequence) => _sentAt[sequence] = Stopwatch.GetTimestamp();

    /// <summary>Records one delivery of a message to one subscriber.</summary>
    public void Delivered(int sequence)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref _lastDeliveryAt, now);
        if ((uint)sequence >= (uint)_remaining.Length)
        {
            Interlocked.Increment(ref _unexpected);
            return;
        }
        var left = Interlocked.Decrement(ref _remaining[sequence]);
        if (left < 0)
        {
            Interlocked.Increment(ref _unexpected);
            return;
        }
        Interlocked.Increment(ref _delivered);
        _latencies?.Add(now - Volatile.Read(ref _sentAt[sequence]));
        if (left == 0)
        {
            _window.Release();
            if (Interlocked.Increment(ref _completed) == Messages) _all.TrySetResult();
        }
    }

    /// <summary>Waits until every message reached every subscriber; false when that did not happen within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitAllAsync(TimeSpan timeout)
    {
        try
        {
            await _all.Task.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _window.Dispose();
}
