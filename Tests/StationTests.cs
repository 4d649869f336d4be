using Microsoft.Extensions.Time.Testing;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>Every station request, query and event type, end to end: Sdk, embedded broker, gateway, simulated station.</summary>
public class StationTests
{
    [Fact]
    public async Task Discovery_start_connect_and_stop_emit_every_station_event()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 4, connectAll: false);
        var client = await env.ConnectClientAsync();
        var station = client.GetStation("sim-1");
        await using var events = await station.SubscribeToEventsAsync();
        var seen = new List<StationEvent>();
        // Everything read is kept: PROPS_CHANGED is coalesced, so it may come before or after the event that caused it.
        Task Expect(StationEventType type, Func<StationEvent, bool>? match = null) =>
            events.WaitForAsync(e => { seen.Add(e); return e.Type == type && (match?.Invoke(e) ?? true); });

        await station.StopAsync();
        await Expect(StationEventType.Stopped);
        (await station.GetPropsAsync()).Started.Should().BeFalse();
        await station.StartAsync();
        await Expect(StationEventType.Started);

        await station.DisableDiscoveryAsync();
        await Expect(StationEventType.DiscoveryDisabled);
        var refused = () => station.StartDiscoveryAsync();
        (await refused.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.InvalidState);
        await station.EnableDiscoveryAsync();
        await Expect(StationEventType.DiscoveryEnabled);

        await station.StartDiscoveryAsync();
        await Expect(StationEventType.DiscoveryStarted);
        var discovered = await events.CollectAsync(4, e => e.Type == StationEventType.DeviceDiscovered);
        discovered.Select(e => e.Device).Should().BeEquivalentTo("dev-0001", "dev-0002", "dev-0003", "dev-0004");
        discovered[0].Data!["rssi"]!.GetValue<int>().Should().BeNegative();
        await Expect(StationEventType.DiscoveryStopped);

        await station.ConnectDeviceAsync("dev-0002");
        await Expect(StationEventType.DeviceConnected, e => e.Device == "dev-0002");
        await station.DisconnectDeviceAsync("dev-0002");
        await Expect(StationEventType.DeviceDisconnected, e => e.Device == "dev-0002");

        if (!seen.Any(e => e.Type == StationEventType.PropsChanged)) await Expect(StationEventType.PropsChanged);
        seen.Select(e => e.Type).Concat(discovered.Select(e => e.Type)).Distinct()
            .Should().BeEquivalentTo(Enum.GetValues<StationEventType>(), "every station event type was seen");
        seen.Should().OnlyContain(e => e.Station == "sim-1");
    }

    [Fact]
    public async Task Stop_discovery_ends_a_running_scan()
    {
        await using var env = await TestEnvironment.StartAsync(o => { o.DeviceCount = 50; o.DiscoveryBatchSize = 1; o.DiscoveryInterval = TimeSpan.FromMilliseconds(200); },
            connectAll: false);
        var station = (await env.ConnectClientAsync()).GetStation("sim-1");
        await using var events = await station.SubscribeToEventsAsync();
        await station.StartDiscoveryAsync();
        await events.WaitForAsync(e => e.Type == StationEventType.DiscoveryStarted);
        (await station.GetPropsAsync()).Discovering.Should().BeTrue();
        await station.StopDiscoveryAsync();
        await events.WaitForAsync(e => e.Type == StationEventType.DiscoveryStopped);
        var props = await station.GetPropsAsync();
        props.Discovering.Should().BeFalse();
        props.KnownDevices.Should().BeLessThan(50);
    }

    [Fact]
    public async Task Every_station_query_answers_from_the_station_state()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 3);
        var station = (await env.ConnectClientAsync()).GetStation("sim-1");
        await station.DisconnectDeviceAsync("dev-0003");

        var props = await station.GetPropsAsync();
        props.Should().BeEquivalentTo(new { Id = "sim-1", Backend = "simulated", Started = true, KnownDevices = 3, ConnectedDevices = 2 });

        (await station.ListKnownDevicesAsync()).Should().BeEquivalentTo("dev-0001", "dev-0002", "dev-0003");
        (await station.ListConnectedDevicesAsync()).Should().BeEquivalentTo("dev-0001", "dev-0002");
        (await station.ListDiscoveredDevicesAsync()).Should().BeEquivalentTo("dev-0003");

        (await station.GetKnownDevicesAsync()).Keys.Should().HaveCount(3);
        var connected = await station.GetConnectedDevicesAsync();
        connected.Keys.Should().BeEquivalentTo("dev-0001", "dev-0002");
        connected.Values.Should().OnlyContain(p => p.Connected && p.Station == "sim-1");
        var discovered = await station.GetDiscoveredDevicesAsync();
        discovered.Should().ContainSingle().Which.Value.Connected.Should().BeFalse();

        var device = await station.GetDevicePropsAsync("dev-0001");
        device.Should().BeEquivalentTo(new { Id = "dev-0001", Station = "sim-1", Connected = true });
        device.Attributes!["model"]!.GetValue<string>().Should().Be("sim-thermostat");
        (await station.GetDeviceKeysAsync("dev-0001")).Should().Equal("temperature", "counter", "setpoint", "clock", "config");
    }

    [Fact]
    public async Task Queries_about_a_device_need_the_device_option_and_a_known_device()
    {
        await using var env = await TestEnvironment.StartAsync();
        var client = await env.ConnectClientAsync();
        var missing = () => client.StationQueryAsync("sim-1", StationQueryType.GetDeviceProps);
        (await missing.Should().ThrowAsync<IoTException>()).Which.Should().Match<IoTException>(e => e.Code == ErrorCode.BadRequest && e.Message.Contains("device"));
        var unknown = () => client.GetStation("sim-1").GetDeviceKeysAsync("nope");
        (await unknown.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownDevice);
        var connectUnknown = () => client.GetStation("sim-1").ConnectDeviceAsync("nope");
        (await connectUnknown.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownDevice);
    }

    [Fact]
    public async Task A_station_nobody_serves_is_reported_as_unknown_at_once()
    {
        await using var env = await TestEnvironment.StartAsync();
        // The client's clock never moves: an answer at all is one that did not wait for the 30 s deadline (the broker's
        // PUBACK says nobody listens). The real deadline only keeps a regression from hanging the run.
        var client = await env.ConnectClientAsync(defaultTimeout: TimeSpan.FromSeconds(30), time: new FakeTimeProvider());
        var act = () => client.GetStation("no-such-station").GetPropsAsync().WaitAsync(Deadline.Default);
        (await act.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownStation);
    }

    [Fact]
    public async Task Station_and_device_props_are_retained_for_late_subscribers()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 2);
        var raw = await env.ConnectRawAsync();
        await raw.SubscribeAsync("iot/v1/#");
        const string station = "iot/v1/stations/sim-1/props", device = "iot/v1/stations/sim-1/devices/dev-0002/props",
            availability = "iot/v1/stations/sim-1/availability";
        // The gateway may still be publishing the connect it just did: wait for the state it converges to.
        var retained = await raw.LatestOnTopicsAsync([station, device, availability], m =>
            m.Topic == station ? System.Text.Encoding.UTF8.GetString(m.Payload).Contains("\"connectedDevices\":2", StringComparison.Ordinal)
            : m.Topic != device || System.Text.Encoding.UTF8.GetString(m.Payload).Contains("\"connected\":true", StringComparison.Ordinal));
        retained[availability].Retain.Should().BeTrue("a late subscriber gets the retained availability");
        System.Text.Json.JsonSerializer.Deserialize(retained[station].Payload, ContractJson.Default.StationProps)!.ConnectedDevices.Should().Be(2);
        var props = System.Text.Json.JsonSerializer.Deserialize(retained[device].Payload, ContractJson.Default.DeviceProps)!;
        props.Station.Should().Be("sim-1");
        props.Connected.Should().BeTrue();
        props.Keys.Should().Contain("temperature");
        System.Text.Encoding.UTF8.GetString(retained[availability].Payload).Should().Be("online");
    }
}
