using System.Text;
using Microsoft.Extensions.Time.Testing;
using MqttIoT.Hub.Queries;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>The six hub queries end to end: a real gateway, the run's broker (with its ACL), a hub started after them, the Sdk.</summary>
public class HubQueryTests
{
    [Fact]
    public async Task A_hub_started_after_the_gateway_catches_up_from_retained_messages_and_answers_every_query_type()
    {
        await using var env = await TestEnvironment.StartAsync();
        var hub = await env.StartHubAsync();
        hub.IsCaughtUp.Should().BeTrue();
        var client = await env.ConnectClientAsync();
        string[] devices = ["dev-0001", "dev-0002", "dev-0003"];

        (await client.ListStationsAsync()).Items.Should().Equal("sim-1");
        (await client.ListDevicesAsync()).Items.Should().Equal(devices.Select(d => new DeviceAddress { Id = d, Station = "sim-1" }));
        (await client.ListDevicesAsync(station: "sim-1")).Items.Select(d => d.Id).Should().Equal(devices);
        (await client.ListDevicesAsync(station: "nowhere")).Items.Should().BeEmpty();

        var station = await client.GetStationAsync("sim-1");
        station.Online.Should().BeTrue();
        station.Stale.Should().BeFalse();
        station.Devices.Should().Be(3);
        station.Props.Backend.Should().Be("simulated");
        station.FirstSeen.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30));

        var device = await client.GetDeviceAsync("dev-0002");
        device.Station.Should().Be("sim-1");
        device.Online.Should().BeTrue();
        device.Props.Name.Should().Be("Thermostat 0002");
        device.Props.Keys.Should().Contain("temperature");
        device.LastSeen.Should().BeOnOrAfter(device.FirstSeen);

        (await client.FindStationsAsync(new HubFilter().Eq("backend", "simulated"))).Items.Select(s => s.Id).Should().Equal("sim-1");
        var found = await client.FindDevicesAsync(new HubFilter().Eq("online", true).Ne("id", "dev-0001"), sort: "-id");
        found.Items.Select(d => d.Id).Should().Equal("dev-0003", "dev-0002");
        found.Next.Should().BeNull();

        (await client.GetDevice("sim-1", "dev-0003").LocateAsync()).Should().Be("sim-1");
        (await FluentActions.Awaiting(() => client.GetDeviceAsync("ghost")).Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownDevice);
        (await FluentActions.Awaiting(() => client.GetStationAsync("ghost")).Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownStation);
    }

    [Fact]
    public async Task Without_a_hub_a_query_fails_at_once_with_unavailable()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false);
        // The client's clock never moves: an answer at all is one that did not wait for the 30 s deadline (PUBACK 0x10
        // answers at once). The real deadline only keeps a regression from hanging the run.
        var client = await env.ConnectClientAsync(TimeSpan.FromSeconds(30), time: new FakeTimeProvider());
        (await FluentActions.Awaiting(() => client.ListDevicesAsync().WaitAsync(Deadline.Default)).Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.Unavailable);
    }

    [Fact]
    public async Task Notified_values_are_kept_a_station_that_dies_makes_its_devices_stale_and_a_device_that_leaves_leaves_the_index()
    {
        await using var env = await TestEnvironment.StartAsync();
        var hub = await env.StartHubAsync();
        var client = await env.ConnectClientAsync();

        await client.GetDevice("sim-1", "dev-0001").EnableNotificationsAsync("counter");
        await Deadline.UntilAsync(async () => (await client.GetDeviceAsync("dev-0001")).Notified.ContainsKey("counter"), "counter notified");
        var note = (await client.GetDeviceAsync("dev-0001")).Notified["counter"];
        note.Text.Should().NotBeNullOrEmpty();
        Encoding.UTF8.GetString(Convert.FromHexString(note.Value)).Should().Be(note.Text);
        (await client.FindDevicesAsync(new HubFilter().Exists("notified.counter.value"))).Items.Select(d => d.Id).Should().Equal("dev-0001");

        // A device removed by its station: the gateway clears its retained props.
        env.Station.RemoveDevice("dev-0003").Should().BeTrue();
        await Deadline.UntilAsync(async () => !(await client.ListDevicesAsync()).Items.Any(d => d.Id == "dev-0003"), "device 3 left the index");
        (await FluentActions.Awaiting(() => client.GetDeviceAsync("dev-0003")).Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownDevice);

        // The gateway dies: the broker publishes its last will, the station's availability goes offline.
        await env.Gateway.AbortAsync();
        await Deadline.UntilAsync(async () => !(await client.GetStationAsync("sim-1")).Online, "station offline", TimeSpan.FromSeconds(40));
        var stale = await client.FindDevicesAsync(new HubFilter().Eq("stale", true));
        stale.Items.Select(d => d.Id).Should().Equal("dev-0001", "dev-0002");
        stale.Items.Should().OnlyContain(d => !d.Online, "a stale device is never reported online, even with its retained availability still 'online'");
        (await client.GetStationAsync("sim-1")).Stale.Should().BeTrue();
        hub.Stats.Devices.Should().Be(2);
    }

    [Fact]
    public void Every_hub_query_type_of_the_contract_has_a_handler() =>
        HubQueryHandlers.CreateDefault().Keys.Select(k => k.Name).Should().BeEquivalentTo(WireName<HubQueryType>.All);
}
