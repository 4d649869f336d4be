using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// Counts messages numbered first..first+n-1 delivered to every one of a set of subscribers, one bit per message and
/// subscriber, so a duplicate at one subscriber cannot hide a loss at another. It can close the load loop: a sender
/// takes a slot of the window before each message and gets it back when every subscriber has the message, so no
/// queue anywhere (gateway, broker, client) holds more than the window and nothing overflows. A message missing at
/// a subscriber stalls the window, which a timeout turns into a reported loss.
/// </summary>
public sealed class DeliveryTracker : IDisposable
{
    private readonly int _first;
    private readonly int[] _remaining;
    private readonly long[] _seen;
    private readonly long[] _sentAt;
    private readonly SemaphoreSlim _window;
    private readonly LatencyRecorder? _latencies;
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _completed;
    private long _delivered;
    private long _duplicates;
    private long _unexpected;
    private long _lastDeliveryAt;

    /// <summary>Tracks <paramref name="messages"/> messages, numbered from <paramref name="first"/>, to <paramref name="subscribers"/> subscribers.</summary>
    public DeliveryTracker(int messages, int subscribers, int window, LatencyRecorder? latencies = null, int first = 0)
    {
        Messages = messages;
        Subscribers = subscribers;
        _first = first;
        _remaining = new int[messages];
        Array.Fill(_remaining, subscribers);
        _seen = new long[((long)messages * subscribers + 63) / 64];
        _sentAt = new long[messages];
        _window = new SemaphoreSlim(window);
        _latencies = latencies;
    }

    /// <summary>Messages to send.</summary>
    public int Messages { get; }

    /// <summary>Subscribers each should get every message.</summary>
    public int Subscribers { get; }

    /// <summary>Deliveries so far (a message to one subscriber, counted once however often it came).</summary>
    public long DeliveryCount => Interlocked.Read(ref _delivered);

    /// <summary>Deliveries that should have happened and did not (so far).</summary>
    public long Lost => (long)Messages * Subscribers - DeliveryCount;

    /// <summary>Messages every subscriber has.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Deliveries of a message a subscriber already had.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Deliveries of a number out of range or to a subscriber out of range.</summary>
    public long Unexpected => Interlocked.Read(ref _unexpected);

    /// <summary>Stopwatch timestamp of the last delivery.</summary>
    public long LastDeliveryAt => Interlocked.Read(ref _lastDeliveryAt);

    /// <summary>Waits for a window slot; false when none came free within <paramref name="stall"/> (something was lost or stuck).</summary>
    public Task<bool> AcquireAsync(TimeSpan stall, CancellationToken cancellationToken) => _window.WaitAsync(stall, cancellationToken);

    /// <summary>Stamps the send time of a message (for latencies).</summary>
    public void Sent(int sequence) => _sentAt[sequence - _first] = Stopwatch.GetTimestamp();

    /// <summary>Records one delivery of a message to subscriber <paramref name="subscriber"/> (0..subscribers-1).</summary>
    /// <summary>A delivery whose payload starts with its sequence number (int32, little endian); shorter payloads are not ours.</summary>
    public void Delivered(int subscriber, ReadOnlySequence<byte> payload)
    {
        if (payload.Length < 4) return;
        Span<byte> head = stackalloc byte[4];
        payload.Slice(0, 4).CopyTo(head);
        Delivered(subscriber, BinaryPrimitives.ReadInt32LittleEndian(head));
    }

    public void Delivered(int subscriber, int sequence)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref _lastDeliveryAt, now);
        var index = sequence - _first;
        if ((uint)index >= (uint)_remaining.Length || (uint)subscriber >= (uint)Subscribers)
        {
            Interlocked.Increment(ref _unexpected);
            return;
        }
        var bit = (long)index * Subscribers + subscriber;
        var mask = 1L << (int)(bit & 63);
        if ((Interlocked.Or(ref _seen[bit >> 6], mask) & mask) != 0)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }
        Interlocked.Increment(ref _delivered);
        _latencies?.Add(now - Volatile.Read(ref _sentAt[index]));
        if (Interlocked.Decrement(ref _remaining[index]) == 0)
        {
            _window.Release();
            if (Interlocked.Increment(ref _completed) == Messages) _all.TrySetResult();
        }
    }

    /// <summary>"2 lost, 3 duplicate(s), 1 unexpected" when there were any; empty otherwise.</summary>
    public string Anomalies() =>
        string.Join(", ", new[] { (Lost, "lost"), (Duplicates, "duplicate(s)"), (Unexpected, "unexpected") }.Where(a => a.Item1 > 0).Select(a => $"{a.Item1:N0} {a.Item2}"));

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
