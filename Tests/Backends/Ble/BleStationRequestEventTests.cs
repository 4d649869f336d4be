using MqttIoT.Gateway.Backends.Ble;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Backends;
using MqttIoT.Tests.Infrastructure;
using static MqttIoT.Sdk.Contract.StationEventType;

namespace MqttIoT.Tests.Ble;

/// <summary>
/// The station request rule (topics.md, "Station requests") on the BLE station, driven directly on the fake BlueZ:
/// every request that succeeds emits its event exactly once, also when the station is in that state already.
/// </summary>
public class BleStationRequestEventTests
{
    private const string Address = "AA:00:00:00:02:01";

    [Fact]
    public async Task Every_station_request_that_succeeds_emits_its_event_once_also_when_the_station_is_in_that_state_already()
    {
        await using var blueZ = await FakeBlueZ.StartAsync();
        await blueZ.Control.AddAdvertiserAsync(BleRig.Spec(Address, "Sensor 1"));
        var sink = new RecordingSink();
        await using var station = new BleStation(new BleStationOptions { Adapter = "hci0", DBusAddress = blueZ.Address, RetryDelay = TimeSpan.FromMilliseconds(10) });
        station.SetEventSink(sink);
        var id = BleRig.DeviceId(Address);
        var ct = Deadline.Token();
        int seen = 0;
        // Events of a request may come from D-Bus signals just after its reply: wait for them, then check what came,
        // so a late duplicate shows up in the next request's share.
        async Task Expect(string what, Func<Task> request, params StationEventType[] expected)
        {
            await request();
            await sink.UntilAsync(s => s.StationTypes().Count(t => t != DeviceDiscovered) >= seen + expected.Length, what);
            sink.StationTypes().Where(t => t != DeviceDiscovered).Skip(seen).Should().Equal(expected, what);
            seen += expected.Length;
        }

        await Expect("START", () => station.StartAsync(ct), Started);
        await Expect("START again", () => station.StartAsync(ct), Started);
        await Expect("STOP_DISCOVERY with no scan", () => station.StopDiscoveryAsync(ct), DiscoveryStopped);
        await Expect("START_DISCOVERY", () => station.StartDiscoveryAsync(ct), DiscoveryStarted);
        await sink.UntilAsync(s => s.Count(DeviceDiscovered, id) == 1, "the device discovered");
        await Expect("START_DISCOVERY while scanning", () => station.StartDiscoveryAsync(ct), DiscoveryStarted);
        await Expect("STOP_DISCOVERY", () => station.StopDiscoveryAsync(ct), DiscoveryStopped);
        await Expect("STOP_DISCOVERY again", () => station.StopDiscoveryAsync(ct), DiscoveryStopped);
        await Expect("START_DISCOVERY", () => station.StartDiscoveryAsync(ct), DiscoveryStarted);
        await Expect("DISABLE_DISCOVERY while scanning", () => station.DisableDiscoveryAsync(ct), DiscoveryStopped, DiscoveryDisabled);
        await Expect("DISABLE_DISCOVERY again", () => station.DisableDiscoveryAsync(ct), DiscoveryDisabled);
        await Expect("ENABLE_DISCOVERY", () => station.EnableDiscoveryAsync(ct), DiscoveryEnabled);
        await Expect("ENABLE_DISCOVERY again", () => station.EnableDiscoveryAsync(ct), DiscoveryEnabled);
        await Expect("CONNECT", () => station.ConnectAsync(id, ct), DeviceConnected);
        await Expect("CONNECT a connected device", () => station.ConnectAsync(id, ct), DeviceConnected);
        await Expect("DISCONNECT", () => station.DisconnectAsync(id, ct), DeviceDisconnected);
        await Expect("DISCONNECT a disconnected device", () => station.DisconnectAsync(id, ct), DeviceDisconnected);
        await Expect("CONNECT", () => station.ConnectAsync(id, ct), DeviceConnected);
        await Expect("START_DISCOVERY", () => station.StartDiscoveryAsync(ct), DiscoveryStarted);
        await Expect("STOP with a scan and a device", () => station.StopAsync(ct), DiscoveryStopped, DeviceDisconnected, Stopped);
        await Expect("STOP again", () => station.StopAsync(ct), Stopped);

        var refused = () => station.StartDiscoveryAsync(ct);
        (await refused.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.InvalidState);
        await Expect("START after the refused request", () => station.StartAsync(ct), Started);
        sink.Count(id, DeviceEventType.Connected).Should().Be(2, "the device's own CONNECTED comes with each real connection only");
    }
}
