using MQTTnet;

namespace MqttIoT.Protocol.Requests;

/// <summary>
/// Replies of recent requests, by response topic and correlation: a request delivered twice (a QoS 1 redelivery
/// after a lost PUBACK, a client's retry with the same CorrelationData) is answered from here and never executed
/// twice, so a WRITE_VALUE is applied once. A duplicate that arrives while the first is still running waits for it.
/// Bounded by count and age.
/// </summary>
internal sealed class RecentReplies(TimeSpan window, int capacity, TimeProvider time)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, long At)> _order = new();
    private readonly Lock _lock = new();

    /// <summary>
    /// Claims <paramref name="key"/> for a new execution (true), or hands back the reply of the earlier one (false).
    /// </summary>
    public bool TryClaim(string key, out Task<MqttApplicationMessage?> earlier)
    {
        lock (_lock)
        {
            Prune();
            if (_entries.TryGetValue(key, out var entry))
            {
                earlier = entry.Reply.Task;
                return false;
            }
            _entries[key] = new Entry(new TaskCompletionSource<MqttApplicationMessage?>(TaskCreationOptions.RunContinuationsAsynchronously));
            _order.Enqueue((key, time.GetTimestamp()));
            earlier = Task.FromResult<MqttApplicationMessage?>(null);
            return true;
        }
    }

    /// <summary>Records the reply of a claimed key (null when none was sent).</summary>
    public void Complete(string key, MqttApplicationMessage? reply)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry)) entry.Reply.TrySetResult(reply);
        }
    }

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    private void Prune()
    {
        while (_order.TryPeek(out var oldest)
               && (_order.Count > capacity || time.GetElapsedTime(oldest.At) > window))
        {
            _order.Dequeue();
            if (_entries.Remove(oldest.Key, out var entry)) entry.Reply.TrySetResult(null);
        }
    }

    private sealed record Entry(TaskCompletionSource<MqttApplicationMessage?> Reply);
}
