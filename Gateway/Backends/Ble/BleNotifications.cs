using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends.Ble.BlueZ;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// GATT notifications of one device: which keys a client asked to hear, BlueZ's notify sessions and the value
/// watches that carry them, and turning them back on after a reconnect. Callers hold the device's GATT lock.
/// </summary>
internal sealed partial class BleNotifications(BleDevice device, BleStation station, BleKeys keys, Func<bool> isReady, ILogger logger)
{
    private readonly ILogger _logger = logger;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _wanted = new(StringComparer.Ordinal);
    private bool _restored = true;

    /// <summary>The link became ready: whether the wanted notifications are to be turned back on in the background.</summary>
    public bool OnReady(bool connecting)
    {
        lock (_lock)
        {
            _restored = _wanted.Count == 0;
            return !connecting && _wanted.Count > 0;
        }
    }

    /// <summary>A disconnect on request: notifications turned off with it stay off.</summary>
    public void Clear()
    {
        lock (_lock) _wanted.Clear();
    }

    /// <summary>Turns a key's notifications on.</summary>
    public async Task EnableAsync(BleCharacteristic c, CancellationToken cancellationToken)
    {
        // Wanted before StartNotify: a device may notify at once, and its Value signal can come before the reply.
        bool added;
        lock (_lock) added = _wanted.Add(c.Key);
        try { await StartNotifyAsync(c, cancellationToken).ConfigureAwait(false); }
        catch
        {
            if (added) lock (_lock) _wanted.Remove(c.Key);
            throw;
        }
    }

    /// <summary>Turns a key's notifications off; false when they were not on.</summary>
    public async Task<bool> DisableAsync(BleCharacteristic c, CancellationToken cancellationToken)
    {
        bool wanted;
        lock (_lock) wanted = _wanted.Remove(c.Key);
        if (!wanted && !c.Notifying) return false;
        try
        {
            await station.Calls.CallAsync($"stop notify '{c.Key}' of '{device.Id}'", () => c.Proxy.StopNotifyAsync(), cancellationToken).ConfigureAwait(false);
        }
        catch (IoTException e) when (e.InnerException is DBusException { ErrorName: BlueZNames.ErrorFailed })
        {
            // "No notify session started": this client has none, which is what was asked.
        }
        return true;
    }

    /// <summary>Turns back on, after a reconnect, the notifications that were on; each gets NOTIFY_STARTED with reason "reconnect".</summary>
    public async Task<bool> RestoreAsync(CancellationToken cancellationToken)
    {
        string[] wanted;
        lock (_lock)
        {
            if (_restored || !isReady()) return false;
            wanted = [.. _wanted];
        }
        foreach (var key in wanted)
        {
            var c = keys.Find(key);
            if (c is null || c.Key != key)
            {
                lock (_lock) _wanted.Remove(key);
                LogNotifyKeyGone(device.Id, key);
                station.Sink?.OnDeviceEvent(device.Id, DeviceEventType.NotifyStopped, key, new JsonObject { ["reason"] = "gone after reconnect" });
                continue;
            }
            await StartNotifyAsync(c, cancellationToken).ConfigureAwait(false);
            station.Sink?.OnDeviceEvent(device.Id, DeviceEventType.NotifyStarted, key, new JsonObject { ["reason"] = "reconnect" });
        }
        lock (_lock) _restored = true;
        LogNotificationsRestored(device.Id, wanted.Length);
        return true;
    }

    private async Task StartNotifyAsync(BleCharacteristic c, CancellationToken cancellationToken)
    {
        if (!c.CanNotify) throw new IoTException(ErrorCode.Unsupported, $"key '{c.Key}' of '{device.Id}' does not notify");
        // Watch before StartNotify, so no notification falls between the two.
        c.ValueWatch ??= await station.Calls.CallAsync($"watch '{c.Key}' of '{device.Id}'", () => c.Proxy.WatchPropertiesAsync(ch => OnCharacteristicChanged(c, ch)),
            cancellationToken).ConfigureAwait(false);
        await station.Calls.CallAsync($"start notify '{c.Key}' of '{device.Id}'", async () =>
        {
            try { await c.Proxy.StartNotifyAsync().ConfigureAwait(false); }
            // BlueZ answers InProgress when this client already has a notify session: that is success.
            catch (DBusException e) when (BlueZErrors.IsInProgress(e) && c.Notifying) { }
            return true;
        }, cancellationToken).ConfigureAwait(false);
        c.Notifying = true;
    }

    private void OnCharacteristicChanged(BleCharacteristic c, PropertyChanges changes)
    {
        foreach (var (name, value) in changes.Changed)
        {
            if (name == "Notifying" && value is bool on) c.Notifying = on;
            else if (name == "Value" && value is byte[] bytes)
            {
                bool wanted;
                lock (_lock) wanted = _wanted.Contains(c.Key);
                if (wanted && isReady()) station.Sink?.OnNotified(device.Id, c.Key, bytes);
            }
        }
    }

    [LoggerMessage(EventId = 2306, Level = LogLevel.Information, Message = "Turned {Count} notification(s) of '{Device}' back on after reconnecting")]
    private partial void LogNotificationsRestored(string device, int count);

    [LoggerMessage(EventId = 2307, Level = LogLevel.Warning, Message = "'{Device}' no longer has key '{Key}' after reconnecting; its notifications stay off")]
    private partial void LogNotifyKeyGone(string device, string key);
}
