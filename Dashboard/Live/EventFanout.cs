using System.Threading.Channels;

namespace MqttIoT.Dashboard.Live;

/// <summary>
/// Hands each event to every open stream whose filter wants it. A stream's queue is bounded and drops its oldest
/// events when the page cannot keep up, counting them, so a burst never grows the server's memory.
/// </summary>
internal sealed class EventFanout
{
    private readonly Lock _lock = new();
    private Listener[] _listeners = [];

    public int Count => Volatile.Read(ref _listeners).Length;

    public Listener Add(EventFilter filter, int capacity)
    {
        var listener = new Listener(this, filter, capacity);
        lock (_lock) _listeners = [.. _listeners, listener];
        return listener;
    }

    public void Publish(LiveEvent e)
    {
        foreach (var listener in Volatile.Read(ref _listeners))
            if (listener.Filter.Matches(e))
                listener.Write(e);
    }

    /// <summary>Ends every stream (the connection is going away).</summary>
    public void CompleteAll()
    {
        Listener[] all;
        lock (_lock) { all = _listeners; _listeners = []; }
        foreach (var l in all) l.Channel.Writer.TryComplete();
    }

    private void Remove(Listener listener)
    {
        lock (_lock) _listeners = [.. _listeners.Where(l => l != listener)];
    }

    /// <summary>One stream's queue.</summary>
    internal sealed class Listener : IDisposable
    {
        private readonly EventFanout _owner;
        private long _dropped;

        public Listener(EventFanout owner, EventFilter filter, int capacity)
        {
            _owner = owner;
            Filter = filter;
            Channel = System.Threading.Channels.Channel.CreateBounded<LiveEvent>(
                new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.DropOldest },
                _ => Interlocked.Increment(ref _dropped));
        }

        public EventFilter Filter { get; }

        public Channel<LiveEvent> Channel { get; }

        /// <summary>Events dropped since the last call (the queue was full).</summary>
        public long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

        public void Write(LiveEvent e) => Channel.Writer.TryWrite(e);

        public void Dispose()
        {
            _owner.Remove(this);
            Channel.Writer.TryComplete();
        }
    }
}
