using System.Collections.Concurrent;
using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa;

/// <summary>
/// A subscription on a session. Its data changes arrive through <see cref="DataChanged"/>, raised on the session's
/// publish loop: handlers must return quickly (queue the work), as every notification of the session waits for them.
/// </summary>
public sealed class OpcUaSubscription
{
    private readonly OpcUaSession _session;
    private readonly ConcurrentDictionary<uint, MonitoredItem> _items = new();
    private long _keepAlives;
    private long _notifications;

    internal OpcUaSubscription(OpcUaSession session, uint id, TimeSpan publishingInterval, uint keepAliveCount, uint lifetimeCount)
    {
        _session = session;
        Id = id;
        PublishingInterval = publishingInterval;
        KeepAliveCount = keepAliveCount;
        LifetimeCount = lifetimeCount;
    }

    /// <summary>The server's subscription id.</summary>
    public uint Id { get; }

    /// <summary>The publishing interval granted.</summary>
    public TimeSpan PublishingInterval { get; }

    /// <summary>The keep-alive count granted.</summary>
    public uint KeepAliveCount { get; }

    /// <summary>The lifetime count granted.</summary>
    public uint LifetimeCount { get; }

    /// <summary>Keep-alive messages received (publish responses without notifications).</summary>
    public long KeepAlives => Interlocked.Read(ref _keepAlives);

    /// <summary>Data change notifications received.</summary>
    public long Notifications => Interlocked.Read(ref _notifications);

    /// <summary>Whether the subscription was deleted (by us, or by the server when it expired).</summary>
    public bool IsDeleted { get; internal set; }

    /// <summary>The monitored items, by client handle.</summary>
    public IReadOnlyCollection<MonitoredItem> Items => _items.Values.ToArray();

    /// <summary>A monitored item's new value. Raised on the publish loop: do not block.</summary>
    public event Action<DataChange>? DataChanged;

    /// <summary>CreateMonitoredItems: one result per request, in order; refused items come back with a Bad status and are not kept.</summary>
    public async Task<IReadOnlyList<MonitoredItem>> CreateMonitoredItemsAsync(IReadOnlyList<MonitoredItemOptions> items, CancellationToken cancellationToken)
    {
        var created = await _session.CreateMonitoredItemsAsync(this, items, cancellationToken).ConfigureAwait(false);
        foreach (var item in created)
        {
            if (item.StatusCode.IsGood) _items[item.ClientHandle] = item;
            else _items.TryRemove(item.ClientHandle, out _);
        }
        return created;
    }

    /// <summary>DeleteMonitoredItems: one status per item, in order.</summary>
    public async Task<IReadOnlyList<StatusCode>> DeleteMonitoredItemsAsync(IReadOnlyList<MonitoredItem> items, CancellationToken cancellationToken)
    {
        foreach (var item in items) _items.TryRemove(item.ClientHandle, out _);
        return await _session.DeleteMonitoredItemsAsync(this, items, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DeleteSubscriptions for this one.</summary>
    public Task DeleteAsync(CancellationToken cancellationToken) => _session.DeleteSubscriptionAsync(this, cancellationToken);

    internal void Reserve(MonitoredItem item) => _items[item.ClientHandle] = item;

    internal void Release(uint clientHandle) => _items.TryRemove(clientHandle, out _);

    internal bool TryGetItem(uint clientHandle, out MonitoredItem item) => _items.TryGetValue(clientHandle, out item!);

    internal void OnKeepAlive() => Interlocked.Increment(ref _keepAlives);

    internal void OnDataChange(MonitoredItem item, DataValue value)
    {
        Interlocked.Increment(ref _notifications);
        DataChanged?.Invoke(new DataChange(item, value));
    }
}
