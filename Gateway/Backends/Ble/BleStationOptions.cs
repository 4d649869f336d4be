using System.ComponentModel.DataAnnotations;
using MqttIoT.Protocol;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>Options of a BLE station: which adapter on which bus, what to look for, how hard to try.</summary>
public sealed class BleStationOptions
{
    /// <summary>The station id; defaults to <c>ble-{Adapter}</c>.</summary>
    public string? StationId { get; set; }
    /// <summary>The BlueZ adapter: <c>hci0</c>, or a full object path such as <c>/org/bluez/hci1</c>.</summary>
    [Required]
    public string Adapter { get; set; } = "hci0";
    /// <summary>D-Bus address of the bus bluetoothd is on; null is the system bus. Tests use a private bus.</summary>
    public string? DBusAddress { get; set; }
    /// <summary>What discovery looks for.</summary>
    public BleDiscoveryFilter Filter { get; set; } = new();
    /// <summary>How long CONNECT waits for the link and for <c>ServicesResolved</c>.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(20);
    /// <summary>How long START waits for the adapter to report <c>Powered</c>.</summary>
    public TimeSpan PowerTimeout { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Retries of an operation BlueZ answers with <c>InProgress</c>, before BUSY.</summary>
    [Range(0, int.MaxValue)]
    public int InProgressRetries { get; set; } = 5;
    /// <summary>First pause before such a retry; it doubles each time.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);
    /// <summary>Connection attempts of a CONNECT (BlueZ's <c>Failed</c> on connect is often transient).</summary>
    [Range(1, int.MaxValue)]
    public int ConnectAttempts { get; set; } = 2;
    /// <summary>Reconnect a device that dropped its link (not one disconnected on request).</summary>
    public bool AutoReconnect { get; set; } = true;
    /// <summary>Reconnection attempts after a drop, before giving up.</summary>
    [Range(0, int.MaxValue)]
    public int ReconnectAttempts { get; set; } = 5;
    /// <summary>Pause before the first reconnection attempt; it doubles each time (with jitter), up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>The longest pause between reconnection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Power the adapter off on STOP (it is powered on by START).</summary>
    public bool PowerOffOnStop { get; set; } = true;
    /// <summary>The zone device clocks keep: the Current Time characteristic holds local time. UTC by default.</summary>
    public TimeZoneInfo DeviceTimeZone { get; set; } = TimeZoneInfo.Utc;
    /// <summary>Known peripheral models (reset characteristic...).</summary>
    public IReadOnlyList<BleDeviceModel> Models { get; set; } = [];

    /// <summary>The adapter name, e.g. <c>hci0</c>.</summary>
    public string AdapterName => Adapter.StartsWith('/') ? Adapter[(Adapter.LastIndexOf('/') + 1)..] : Adapter;
    /// <summary>The adapter's object path.</summary>
    public string AdapterPath => Adapter.StartsWith('/') ? Adapter : $"/org/bluez/{Adapter}";
    /// <summary>The station id in effect.</summary>
    public string EffectiveStationId => StationId ?? $"ble-{AdapterName}";

    /// <summary>The reconnect backoff these options describe.</summary>
    public BackoffOptions ReconnectBackoff => new() { MinDelay = ReconnectDelay, MaxDelay = ReconnectMaxDelay };

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Adapter)) throw new ArgumentException("Adapter is required (e.g. hci0)");
        if (string.IsNullOrEmpty(EffectiveStationId)) throw new ArgumentException("StationId cannot be empty");
        if (ConnectTimeout <= TimeSpan.Zero || PowerTimeout <= TimeSpan.Zero) throw new ArgumentException("timeouts must be positive");
        if (RetryDelay < TimeSpan.Zero) throw new ArgumentException("delays cannot be negative");
        if (ReconnectDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectDelay)
            throw new ArgumentException("ReconnectDelay must be positive and ReconnectMaxDelay at least ReconnectDelay");
        if (InProgressRetries < 0 || ConnectAttempts < 1 || ReconnectAttempts < 0) throw new ArgumentException("retry counts out of range");
        Filter.Validate();
        foreach (var model in Models) model.Validate();
    }
}
