using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends.Ble.BlueZ;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// Discovery on one adapter: whether it is allowed and running (this client's BlueZ discovery session, with the
/// filter), and which devices it made known: those that matched the filter while discovering (or came connected).
/// </summary>
internal sealed partial class BleDiscovery(BleStationOptions options, BlueZCalls calls, ILogger logger)
{
    private static readonly HashSet<string> AdvertisedProps = ["RSSI", "Name", "Alias", "ManufacturerData", "ServiceData", "UUIDs", "Paired"];

    private readonly ILogger _logger = logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, BleDevice> _known = new(StringComparer.Ordinal);
    private bool _enabled = true;
    private bool _discovering;

    /// <summary>What <see cref="Evaluate"/> found.</summary>
    public enum Outcome { None, Discovered, Refreshed }

    public bool Enabled
    {
        get { lock (_lock) return _enabled; }
    }

    public bool Discovering
    {
        get { lock (_lock) return _discovering; }
    }

    public BleDevice? Find(string device)
    {
        lock (_lock) return _known.GetValueOrDefault(device);
    }

    public BleDevice[] Known()
    {
        lock (_lock) return [.. _known.Values];
    }

    /// <summary>Sets the filter and starts this client's discovery session; false when it was running already.</summary>
    public async Task<bool> StartAsync(IAdapter1 adapter, string station, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_enabled) throw new IoTException(ErrorCode.InvalidState, $"discovery is disabled on station '{station}'");
            if (_discovering) return false;
        }
        await calls.CallAsync("set the discovery filter", () => adapter.SetDiscoveryFilterAsync(options.Filter.ToBlueZ()), cancellationToken).ConfigureAwait(false);
        try
        {
            await calls.CallAsync("start discovery", () => adapter.StartDiscoveryAsync(), cancellationToken).ConfigureAwait(false);
        }
        catch (IoTException e) when (e.Code == ErrorCode.Busy)
        {
            // InProgress after the retries: this client's session is already running (a lost reply), which is what was asked.
        }
        lock (_lock) _discovering = true;
        LogDiscovery(station, "started");
        return true;
    }

    /// <summary>Ends this client's discovery session (BlueZ scans on while other clients have one); false when none was running.</summary>
    public async Task<bool> StopAsync(IAdapter1? adapter, string station, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_discovering) return false;
            _discovering = false;
        }
        try
        {
            if (adapter is not null) await calls.CallAsync("stop discovery", () => adapter.StopDiscoveryAsync(), cancellationToken).ConfigureAwait(false);
        }
        catch (IoTException e) when (e.Code is ErrorCode.BackendFailure or ErrorCode.InvalidState)
        {
            // "No discovery started" or adapter not ready: there is no session left to end.
            LogDiscoveryStopIgnored(e.Message);
        }
        LogDiscovery(station, "stopped");
        return true;
    }

    public void SetEnabled(bool enabled)
    {
        lock (_lock) _enabled = enabled;
    }

    /// <summary>The session ended without us (adapter reset or powered off, the station stopped): true when it was running.</summary>
    public bool Ended()
    {
        lock (_lock)
        {
            bool was = _discovering;
            _discovering = false;
            return was;
        }
    }

    /// <summary>
    /// Makes a device known once it matches the filter while discovering (or is connected while the station runs);
    /// a known one whose advertised props changed is to be refreshed. <paramref name="inTree"/> is checked under the
    /// lock <see cref="Forget"/> takes, so a device removed meanwhile is not made known again.
    /// </summary>
    public Outcome Evaluate(BleDevice device, IReadOnlyCollection<string> changed, bool started, Func<BleDevice, bool> inTree)
    {
        lock (_lock)
        {
            if (!inTree(device)) return Outcome.None;
            if (device.Known) return changed.Any(AdvertisedProps.Contains) ? Outcome.Refreshed : Outcome.None;
            if ((_discovering || (started && device.IsLinkUp)) && device.MatchesFilter(options.Filter))
            {
                device.Known = true;
                _known[device.Id] = device;
                LogDiscovered(device.Id, device.Name ?? "");
                return Outcome.Discovered;
            }
            return Outcome.None;
        }
    }

    /// <summary>Forgets a device BlueZ removed; true when it was known.</summary>
    public bool Forget(BleDevice device)
    {
        lock (_lock) return _known.Remove(device.Id);
    }

    [LoggerMessage(EventId = 2312, Level = LogLevel.Information, Message = "BLE station '{Station}': discovery {What}")]
    private partial void LogDiscovery(string station, string what);

    [LoggerMessage(EventId = 2313, Level = LogLevel.Information, Message = "Discovered BLE device '{Device}' ({Name})")]
    private partial void LogDiscovered(string device, string name);

    [LoggerMessage(EventId = 2318, Level = LogLevel.Debug, Message = "Stopping discovery: {Error}")]
    private partial void LogDiscoveryStopIgnored(string error);
}
