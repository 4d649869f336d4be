using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MqttIoT.Sdk;

/// <summary>
/// A live subscription to events. It is in place at the broker when the call that made it returns, so nothing
/// published afterwards is missed. Enumerate it once; dispose it to unsubscribe.
/// </summary>
/// <remarks>
/// Events wait in a buffer of <see cref="IoTHubClientOptions.EventBufferSize"/> until they are read. A subscription
/// that is read more slowly than events arrive loses its oldest unread events (counted in <see cref="Dropped"/>)
/// rather than holding up the client, whose replies and other subscriptions arrive on the same connection.
/// </remarks>
/// <typeparam name="T"><see cref="StationEvent"/> or <see cref="DeviceEvent"/>.</typeparam>
public sealed class EventSubscription<T> : IAsyncEnumerable<T>, IAsyncDisposable
{
    private readonly Channel<T> _channel;
    private readonly Func<EventSubscription<T>, ValueTask> _unsubscribe;
    private int _disposed;
    private long _dropped;

    internal EventSubscription(string topicFilter, int capacity, Func<EventSubscription<T>, ValueTask> unsubscribe)
    {
        TopicFilter = topicFilter;
        _unsubscribe = unsubscribe;
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.DropOldest,
        }, _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>Events this subscription lost because its buffer was full: it was not read fast enough.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The MQTT topic filter behind the subscription.</summary>
    public string TopicFilter { get; }

    /// <summary>Never waits: a full buffer drops its oldest event; a disposed subscription takes nothing.</summary>
    internal void Write(T item) => _channel.Writer.TryWrite(item);

    /// <summary>Waits for the next event, up to the token.</summary>
    public async ValueTask<T> ReadAsync(CancellationToken cancellationToken = default) =>
        await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        await foreach (var item in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            yield return item;
    }

    /// <summary>Unsubscribes and ends the enumeration.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _channel.Writer.TryComplete();
        await _unsubscribe(this).ConfigureAwait(false);
    }

    internal void Complete() => _channel.Writer.TryComplete();
}
