using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;
using static MqttIoT.Sdk.Contract.StationEventType;

namespace MqttIoT.Tests.Backends.Simulated;

/// <summary>
/// The station request rule (topics.md, "Station requests") on the simulated station, driven directly on a fake clock:
/// every request that succeeds emits its event exactly once, also when the station is in that state already.
/// </summary>
public class SimulatedStationRequestEventTests
{
    [Fact]
    public async Task Every_station_request_that_succeeds_emits_its_event_once_also_when_the_station_is_in_that_state_already()
    {
        var clock = new WatchedClock();
        var interval = TimeSpan.FromSeconds(1);
        var sink = new RecordingSink();
        await using var station = new SimulatedStation(new SimulatedStationOptions
        {
            DeviceCount = 2, DiscoveryBatchSize = 1, DiscoveryInterval = interval, NotifyInterval = TimeSpan.FromHours(1),
        }, clock);
        station.SetEventSink(sink);
        var ct = Deadline.Token();
        int seen = 0;
        async Task Expect(string what, Func<Task> request, params StationEventType[] expected)
        {
            await request();
            sink.StationTypes().Where(t => t != DeviceDiscovered).Skip(seen).Should().Equal(expected, what);
            seen += expected.Length;
        }

        await Expect("START", () => station.StartAsync(ct), Started);
        await Expect("START again", () => station.StartAsync(ct), Started);
        await Expect("STOP_DISCOVERY with no scan", () => station.StopDiscoveryAsync(ct), DiscoveryStopped);
        await Expect("START_DISCOVERY", () => station.StartDiscoveryAsync(ct), DiscoveryStarted);
        // One device of two is revealed: the scan goes on.
        clock.Advance((await clock.WaitForTimersAsync(1, d => d == interval, "the first discovery step"))[0]);
        await sink.UntilAsync(s => s.Count(DeviceDiscovered, "dev-0001") == 1, "dev-0001 discovered");
        await Expect("START_DISCOVERY while scanning", () => station.StartDiscoveryAsync(ct), DiscoveryStarted);
        await Expect("DISABLE_DISCOVERY while scanning", () => station.DisableDiscoveryAsync(ct), DiscoveryStopped, DiscoveryDisabled);
        await Expect("DISABLE_DISCOVERY again", () => station.DisableDiscoveryAsync(ct), DiscoveryDisabled);
        await Expect("ENABLE_DISCOVERY", () => station.EnableDiscoveryAsync(ct), DiscoveryEnabled);
        await Expect("ENABLE_DISCOVERY again", () => station.EnableDiscoveryAsync(ct), DiscoveryEnabled);
        await Expect("START_DISCOVERY", () => station.StartDiscoveryAsync(ct), DiscoveryStarted);
        await Expect("STOP_DISCOVERY", () => station.StopDiscoveryAsync(ct), DiscoveryStopped);
        await Expect("STOP_DISCOVERY again", () => station.StopDiscoveryAsync(ct), DiscoveryStopped);
        await Expect("CONNECT", () => station.ConnectAsync("dev-0001", ct), DeviceConnected);
        await Expect("CONNECT a connected device", () => station.ConnectAsync("dev-0001", ct), DeviceConnected);
        await Expect("DISCONNECT", () => station.DisconnectAsync("dev-0001", ct), DeviceDisconnected);
        await Expect("DISCONNECT a disconnected device", () => station.DisconnectAsync("dev-0001", ct), DeviceDisconnected);
        await Expect("CONNECT", () => station.ConnectAsync("dev-0001", ct), DeviceConnected);
        await Expect("START_DISCOVERY", () => station.StartDiscoveryAsync(ct), DiscoveryStarted);
        await Expect("STOP with a scan and a device", () => station.StopAsync(ct), DiscoveryStopped, DeviceDisconnected, Stopped);
        await Expect("STOP again", () => station.StopAsync(ct), Stopped);

        var refused = () => station.StartDiscoveryAsync(ct);
        (await refused.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.InvalidState);
        await Expect("START after the refused request", () => station.StartAsync(ct), Started);
        sink.Count("dev-0001", DeviceEventType.Connected).Should().Be(2, "the device's own CONNECTED comes with each real connection only");
    }

    [Fact]
    public async Task A_scan_that_reveals_every_device_ends_with_one_discovery_stopped()
    {
        var clock = new WatchedClock();
        var interval = TimeSpan.FromSeconds(1);
        var sink = new RecordingSink();
        await using var station = new SimulatedStation(new SimulatedStationOptions
        {
            DeviceCount = 2, DiscoveryBatchSize = 1, DiscoveryInterval = interval, NotifyInterval = TimeSpan.FromHours(1),
        }, clock);
        station.SetEventSink(sink);
        await station.StartAsync(Deadline.Token());
        await station.StartDiscoveryAsync(Deadline.Token());
        for (int step = 1; step <= 2; step++)
        {
            clock.Advance((await clock.WaitForTimersAsync(step, d => d == interval, $"discovery step {step}"))[step - 1]);
            await sink.UntilAsync(s => s.Count(DeviceDiscovered) == step, $"device {step} discovered");
        }
        await sink.UntilAsync(s => s.Count(DiscoveryStopped) == 1, "the scan ended");
        station.GetProps().Discovering.Should().BeFalse();
        await station.StopDiscoveryAsync(Deadline.Token());
        sink.StationTypes().Should().Equal(Started, DiscoveryStarted, DeviceDiscovered, DeviceDiscovered, DiscoveryStopped, DiscoveryStopped);
    }
}
