using System.Text.Json;
using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends;
using MqttIoT.Gateway.Backends.Ble;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests.Ble;

/// <summary>
/// The whole BLE path for one test: the fake BlueZ on its private bus, the embedded broker, a gateway on a
/// <see cref="BleStation"/> bound to that bus, and an Sdk client.
/// </summary>
public sealed class BleRig : IAsyncDisposable
{
    public const string StationId = "ble-hci0";
    public const string ConfigUuid = "c0de0001-4d51-4954-8000-000000000001";
    public const string ResetUuid = "c0de0002-4d51-4954-8000-000000000001";
    public const string CounterUuid = "c0de0003-4d51-4954-8000-000000000001";
    public const string BatteryService = "0000180f-0000-1000-8000-00805f9b34fb";

    private BleRig(FakeBlueZ blueZ, TestEnvironment env, IoTHubClient client)
    {
        BlueZ = blueZ;
        Env = env;
        Client = client;
    }

    public FakeBlueZ BlueZ { get; }
    /// <summary>Every log line of the environment (gateway, station, devices) with its EventId.</summary>
    public CapturingLoggerProvider Log => Env.Logs;
    public TestEnvironment Env { get; }
    public IoTHubClient Client { get; }
    public BleStation Station => (BleStation)Env.Backend;
    public RemoteStation Remote => Client.GetStation(StationId);

    public static string DeviceId(string address) => $"{StationId}-{address}";

    /// <summary>A device spec for the fake: the "sensor" profile has Current Time and a reset characteristic, "basic" has neither.</summary>
    public static string Spec(string address, string name, short rssi = -50, string profile = "sensor", int delayMs = 20,
        string[]? uuids = null, object? extra = null)
    {
        var spec = new Dictionary<string, object?>
        {
            ["address"] = address, ["name"] = name, ["rssi"] = rssi, ["profile"] = profile, ["delayMs"] = delayMs,
            ["uuids"] = uuids ?? [BatteryService],
        };
        if (extra is not null)
            foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject()) spec[p.Name] = p.Value;
        return JsonSerializer.Serialize(spec);
    }

    public static Task<BleRig> StartAsync(Action<BleStationOptions>? configure = null, params string[] devices) =>
        StartAsync(configure, null, devices);

    /// <summary>The rig with the station on <paramref name="time"/> (a fake clock, for what is about time).</summary>
    public static Task<BleRig> StartAsync(Action<BleStationOptions>? configure, TimeProvider? time, params string[] devices) =>
        StartWithBackendAsync((bus, logs) =>
        {
            var options = new BleStationOptions
            {
                Adapter = "hci0", DBusAddress = bus, ConnectTimeout = TimeSpan.FromSeconds(5),
                RetryDelay = TimeSpan.FromMilliseconds(10), ReconnectDelay = TimeSpan.FromMilliseconds(50),
            };
            configure?.Invoke(options);
            return new BleStation(options, logs, time);
        }, devices);

    /// <summary>The rig with a station made by <paramref name="backend"/> from the fake's bus address (the command line, say).</summary>
    public static async Task<BleRig> StartWithBackendAsync(Func<string, ILoggerFactory, IStationBackend> backend, params string[] devices)
    {
        var blueZ = await FakeBlueZ.StartAsync();
        try
        {
            foreach (var spec in devices) await blueZ.Control.AddAdvertiserAsync(spec).WaitAsync(Deadline.Default);
            var env = await TestEnvironment.StartAsync(backend: logs => backend(blueZ.Address, logs));
            var client = await env.ConnectClientAsync();
            return new BleRig(blueZ, env, client);
        }
        catch
        {
            await blueZ.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts discovery and waits for the device's DEVICE_DISCOVERED, through the Sdk.</summary>
    public async Task<StationEvent> DiscoverAsync(string address)
    {
        await using var discovered = await Remote.SubscribeToEventsAsync(StationEventType.DeviceDiscovered);
        await Remote.StartDiscoveryAsync();
        return await discovered.WaitForAsync(e => e.Device == DeviceId(address));
    }

    /// <summary>Discovers and connects the device, through the Sdk.</summary>
    public async Task<RemoteDevice> ConnectAsync(string address)
    {
        if (Station.FindDevice(DeviceId(address)) is null) await DiscoverAsync(address);
        await Remote.ConnectDeviceAsync(DeviceId(address));
        return Client.GetDevice(StationId, DeviceId(address));
    }

    public async ValueTask DisposeAsync()
    {
        await Env.DisposeAsync();
        await BlueZ.DisposeAsync();
    }
}
