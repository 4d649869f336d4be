using Microsoft.Extensions.Logging;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>The hub knows a device by its id: a second station reporting the same id can neither take nor remove it.</summary>
public class HubConflictTests
{
    [Fact]
    public async Task A_device_id_reported_by_two_stations_stays_with_the_first_and_the_conflict_is_logged_once()
    {
        await using var env = await TestEnvironment.StartAsync(openEmbeddedBroker: true);
        await env.StartHubAsync();
        var client = await env.ConnectClientAsync();
        await Deadline.UntilAsync(async () => (await client.ListDevicesAsync()).Items.Contains("dev-0001"), "hub sees sim-1's devices");

        var raw = await env.ConnectRawAsync();
        var t = new TopicTree();
        var impostor = """{"id":"dev-0001","station":"sim-2","name":"Other","connected":true,"keys":[]}"""u8.ToArray();
        await raw.PublishAsync(t.StationProps("sim-2"), """{"id":"sim-2","backend":"simulated","started":true}"""u8.ToArray(), retain: true);
        await raw.PublishAsync(t.DeviceProps("sim-2", "dev-0001"), impostor, retain: true);
        await raw.PublishAsync(t.DeviceProps("sim-2", "dev-0001"), [], retain: true); // and leaves again
        // The station's own props are indexed behind those messages: once sim-2 is there, they were applied (or left out).
        await Deadline.UntilAsync(async () => (await client.ListStationsAsync()).Items.Contains("sim-2"), "hub sees sim-2");

        var record = await client.GetDeviceAsync("dev-0001");
        record.Station.Should().Be("sim-1");
        record.Props.Name.Should().Be("Thermostat 0001");
        env.Logs.Count(LogLevel.Warning, "Device id 'dev-0001' is held by station 'sim-1'").Should().Be(1);
    }
}
