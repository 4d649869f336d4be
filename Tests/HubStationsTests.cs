using System.Text;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// A device id is unique only within its station: the hub keys devices by (station, device), so many gateways with
/// the same simulated ids share one hub. On the run's broker, each gateway with its own credentials.
/// </summary>
public class HubStationsTests
{
    [Fact]
    public async Task Two_stations_each_with_dev_0001_are_both_listed_and_a_device_is_got_by_id_and_station()
    {
        await using var env = await TestEnvironment.StartAsync(users: ["sim-2"]);
        await env.StartGatewayAsync(o => o.StationId = "sim-2");
        await env.StartHubAsync();
        var client = await env.ConnectClientAsync();

        string[] ids = ["dev-0001", "dev-0002", "dev-0003"];
        var both = ids.SelectMany(id => new[] { new DeviceAddress { Id = id, Station = "sim-1" }, new DeviceAddress { Id = id, Station = "sim-2" } }).ToList();
        (await client.ListDevicesAsync()).Items.Should().Equal(both, "id order, then station");
        (await client.ListDevicesAsync(station: "sim-2")).Items.Should().Equal(both.Where(d => d.Station == "sim-2"));
        (await client.GetStationAsync("sim-2")).Devices.Should().Be(3);

        // Pages of one resume exactly after the last (id, station): the two dev-0001 are neither skipped nor repeated.
        var paged = new List<DeviceAddress>();
        await foreach (var d in client.ListAllDevicesAsync(pageSize: 1)) paged.Add(d);
        paged.Should().Equal(both);
        var found = new List<DeviceRecord>();
        await foreach (var d in client.FindAllDevicesAsync(sort: "-attributes.index", pageSize: 1)) found.Add(d);
        found.Select(d => (d.Id, d.Station)).Should().Equal(
            ("dev-0003", "sim-1"), ("dev-0003", "sim-2"), ("dev-0002", "sim-1"), ("dev-0002", "sim-2"), ("dev-0001", "sim-1"), ("dev-0001", "sim-2"));
        (await client.FindDevicesAsync(new HubFilter().Eq("id", "dev-0001"))).Items.Select(d => d.Station).Should().Equal("sim-1", "sim-2");

        var second = await client.GetDeviceAsync("dev-0001", station: "sim-2");
        second.Station.Should().Be("sim-2");
        second.Props.Station.Should().Be("sim-2");
        (await client.GetDevice("sim-1", "dev-0002").GetHubRecordAsync()).Station.Should().Be("sim-1");

        var ambiguous = await FluentActions.Awaiting(() => client.GetDeviceAsync("dev-0001")).Should().ThrowAsync<IoTException>();
        ambiguous.Which.Code.Should().Be(ErrorCode.BadRequest);
        ambiguous.Which.Message.Should().Contain("'sim-1'").And.Contain("'sim-2'").And.Contain("station");
        (await FluentActions.Awaiting(() => client.LocateDeviceAsync("dev-0001")).Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.BadRequest);
        (await FluentActions.Awaiting(() => client.GetDeviceAsync("dev-0001", station: "sim-3")).Should().ThrowAsync<IoTException>())
            .Which.Code.Should().Be(ErrorCode.UnknownDevice);
        (await FluentActions.Awaiting(() => client.GetDeviceAsync("ghost")).Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownDevice);
    }

    [Fact]
    public async Task A_device_located_by_its_id_alone_is_addressed_at_its_station_and_answers()
    {
        await using var env = await TestEnvironment.StartAsync();
        await env.StartHubAsync();
        var client = await env.ConnectClientAsync();

        var device = await client.LocateDeviceAsync("dev-0002");
        device.Station.Should().Be("sim-1");
        device.Id.Should().Be("dev-0002");
        Encoding.UTF8.GetString(await device.ReadValueAsync("setpoint")).Should().Be("20.0");
        (await FluentActions.Awaiting(() => client.LocateDeviceAsync("ghost")).Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownDevice);
    }

    [Fact]
    public async Task A_device_that_moves_to_another_station_is_found_there_once_the_first_clears_its_props()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, users: ["line-a", "line-b"]);
        var lineA = await env.ConnectRawAsync(asStation: "line-a");
        var lineB = await env.ConnectRawAsync(asStation: "line-b");
        await HubStorageTests.PublishStationAsync(lineA, "line-a");
        await HubStorageTests.PublishStationAsync(lineB, "line-b");
        const string pump = "ns=2;s=Pump";
        await HubStorageTests.PublishDeviceAsync(lineA, "line-a", pump, "Pump on A");
        await env.StartHubAsync();
        var client = await env.ConnectClientAsync();
        (await client.LocateDeviceAsync(pump)).Station.Should().Be("line-a");

        // Plugged in on line B: for a while both stations hold the id.
        await HubStorageTests.PublishDeviceAsync(lineB, "line-b", pump, "Pump on B");
        await Deadline.UntilAsync(async () => (await client.ListDevicesAsync()).Items.Count == 2, "line B's pump indexed");
        (await FluentActions.Awaiting(() => client.GetDeviceAsync(pump)).Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.BadRequest);
        (await client.GetDeviceAsync(pump, station: "line-a")).Props.Name.Should().Be("Pump on A");

        // Line A lets it go: its props are cleared there, and line B's record is the only one.
        await lineA.PublishAsync(new TopicTree().DeviceProps("line-a", pump), [], retain: true);
        await Deadline.UntilAsync(async () => (await client.ListDevicesAsync()).Items.Count == 1, "line A's pump left the index");
        var moved = await client.GetDeviceAsync(pump);
        moved.Station.Should().Be("line-b");
        moved.Props.Name.Should().Be("Pump on B");
        (await client.GetStationAsync("line-a")).Devices.Should().Be(0);
        (await client.GetStationAsync("line-b")).Devices.Should().Be(1);
    }

    [Fact]
    public async Task A_simulated_device_removed_from_its_station_has_its_retained_props_cleared_and_leaves_the_hub()
    {
        await using var env = await TestEnvironment.StartAsync();
        var topics = env.Gateway.Topics;
        await env.StartHubAsync();
        var client = await env.ConnectClientAsync();
        var watcher = await env.ConnectRawAsync();
        var props = topics.DeviceProps("sim-1", "dev-0002");
        await watcher.SubscribeAsync(props);
        await watcher.NextAsync(m => m.Topic == props && m.Payload.Length > 0); // the retained props, so the clearing below is news

        env.Station.RemoveDevice("dev-0002").Should().BeTrue();
        await watcher.NextAsync(m => m.Topic == props && m.Payload.Length == 0);
        env.Station.RemoveDevice("dev-0002").Should().BeFalse("it is gone already");

        await Deadline.UntilAsync(async () => (await client.ListDevicesAsync()).Items.Count == 2, "the hub dropped it");
        (await FluentActions.Awaiting(() => client.GetDeviceAsync("dev-0002")).Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownDevice);
        var station = client.GetStation("sim-1");
        (await station.ListKnownDevicesAsync()).Should().Equal("dev-0001", "dev-0003");
        (await FluentActions.Awaiting(() => client.GetDevice("sim-1", "dev-0002").ReadValueAsync("setpoint")).Should().ThrowAsync<IoTException>())
            .Which.Code.Should().Be(ErrorCode.UnknownDevice);

        // The broker keeps no retained state of it: a hub starting now never sees it.
        var late = await env.StartHubAsync();
        late.Stats.Devices.Should().Be(2);
        (await station.GetPropsAsync()).KnownDevices.Should().Be(2);
    }
}
