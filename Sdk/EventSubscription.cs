using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MqttIoT.Sdk;

/// <summary>
/// A live subscription to events. It is in place at the broker when the call that made it returns, so nothing
/// published afterwards is missed. Enumerate it once; dispose it to unsubscribe.
/// </summary>
/// <typeparam name="T"><see cref="StationEvent"/> or <see cref="DeviceEvent"/>.</typeparam>
public sealed class EventSubscription<T> : IAsyncEnumerable<T>, IAsyncDisposable
{
    private readonly Channel<T> _channel;
    private readonly Func<EventSubscription<T>, ValueTask> _unsubscribe;
    private int _disposed;

    internal EventSubscription(string topicFilter, int capacity, Func<EventSubscription<T>, ValueTask> unsubscribe)
    {
        TopicFilter = topicFilter;
        _unsubscribe = unsubscribe;
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The MQTT topic filter behind the subscription.</summary>
    public string TopicFilter { get; }

    internal ValueTask WriteAsync(T item) =>
        _channel.Writer.TryWrite(item) ? ValueTask.CompletedTask : WriteSlowAsync(item);

    private async ValueTask WriteSlowAsync(T item)
    {
        try { await _channel.Writer.WriteAsync(item).ConfigureAwait(false); }
        catch (ChannelClosedException) { }
    }

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
