using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Services;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>Watched keys: monitored items on the station's one subscription, their data changes as NOTIFIED events.</summary>
public sealed partial class OpcUaStation
{
    internal async Task WatchAsync(OpcUaDevice device, OpcUaVariable variable, CancellationToken cancellationToken)
    {
        var session = RequireSession(device);
        await _subscriptionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            bool watching;
            lock (_lock) watching = _items.ContainsKey((device.Id, variable.Key));
            if (!watching)
            {
                var subscription = await EnsureSubscriptionAsync(session, cancellationToken).ConfigureAwait(false);
                // Mapped before the request leaves, so the first value finds its key.
                lock (_lock) _watchedNodes[variable.NodeId] = (device, variable);
                var item = (await subscription.CreateMonitoredItemsAsync([ItemFor(variable)], cancellationToken).ConfigureAwait(false))[0];
                if (item.StatusCode.IsBad)
                {
                    lock (_lock) _watchedNodes.Remove(variable.NodeId);
                    throw OpcUaErrors.ToIoT(new OpcUaException(item.StatusCode), $"watching '{variable.Key}' ({variable.NodeId}) of '{device.Id}'", ErrorCode.UnknownKey);
                }
                lock (_lock)
                {
                    _items[(device.Id, variable.Key)] = item;
                    device.Watched.Add(variable.Key);
                }
            }
        }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, $"watching '{variable.Key}' of '{device.Id}'"); }
        finally { _subscriptionLock.Release(); }
        _sink?.OnDeviceEvent(device.Id, DeviceEventType.NotifyStarted, variable.Key);
    }

    internal async Task UnwatchAsync(OpcUaDevice device, OpcUaVariable variable, CancellationToken cancellationToken)
    {
        RequireSession(device);
        if (await UnwatchCoreAsync(device, variable, cancellationToken, quiet: false).ConfigureAwait(false))
            _sink?.OnDeviceEvent(device.Id, DeviceEventType.NotifyStopped, variable.Key);
    }

    /// <summary>Forgets the key and deletes its monitored item; <paramref name="quiet"/> swallows server errors (disconnecting anyway).</summary>
    private async Task<bool> UnwatchCoreAsync(OpcUaDevice device, OpcUaVariable variable, CancellationToken cancellationToken, bool quiet)
    {
        MonitoredItem? item;
        OpcUaSubscription? subscription;
        bool was;
        lock (_lock)
        {
            was = device.Watched.Remove(variable.Key);
            _items.Remove((device.Id, variable.Key), out item);
            if (_watchedNodes.TryGetValue(variable.NodeId, out var owner) && owner.Device == device) _watchedNodes.Remove(variable.NodeId);
            subscription = _subscription;
        }
        if (item is null || subscription is null) return was;
        await _subscriptionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { await subscription.DeleteMonitoredItemsAsync([item], cancellationToken).ConfigureAwait(false); }
        catch (OpcUaException ex) when (quiet) { LogUnwatchFailed(device.Id, variable.Key, ex.Message); }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, $"unwatching '{variable.Key}' of '{device.Id}'"); }
        finally { _subscriptionLock.Release(); }
        return was;
    }

    /// <summary>The station's subscription, created on first use (the caller holds the subscription lock).</summary>
    private async Task<OpcUaSubscription> EnsureSubscriptionAsync(IOpcUaSession session, CancellationToken cancellationToken)
    {
        lock (_lock) if (_subscription is { IsDeleted: false } existing) return existing;
        var subscription = await session.CreateSubscriptionAsync(new SubscriptionOptions { PublishingInterval = _options.PublishingInterval },
            cancellationToken).ConfigureAwait(false);
        subscription.DataChanged += OnDataChanged;
        lock (_lock) _subscription = subscription;
        return subscription;
    }

    private MonitoredItemOptions ItemFor(OpcUaVariable variable) =>
        new(new ReadValueId(variable.NodeId)) { SamplingIntervalMs = _options.SamplingIntervalMs };

    /// <summary>On the session's publish loop: turns the value into bytes and queues the event (the sink never blocks).</summary>
    private void OnDataChanged(DataChange change)
    {
        (OpcUaDevice Device, OpcUaVariable Variable) owner;
        lock (_lock)
            if (!_watchedNodes.TryGetValue(change.Item.ItemToMonitor.NodeId, out owner)) return;
        var value = change.Value;
        var bytes = owner.Variable.Encode(value.Value, out var dataType);
        var extra = new JsonObject
        {
            ["dataType"] = dataType,
            ["status"] = value.StatusCode.Name,
            ["statusCode"] = value.StatusCode.Code,
        };
        if (value.SourceTimestamp is { } source) extra["sourceTimestamp"] = new DateTimeOffset(source, TimeSpan.Zero);
        if (value.ServerTimestamp is { } server) extra["serverTimestamp"] = new DateTimeOffset(server, TimeSpan.Zero);
        _sink?.OnNotified(owner.Device.Id, owner.Variable.Key, bytes, extra);
    }

    [LoggerMessage(EventId = 2408, Level = LogLevel.Debug, Message = "Deleting the monitored item of '{Key}' of '{Device}' failed: {Error}")]
    private partial void LogUnwatchFailed(string device, string key, string error);
}
