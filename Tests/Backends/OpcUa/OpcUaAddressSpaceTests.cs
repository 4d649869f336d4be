using System.Buffers.Binary;
using MqttIoT.Gateway.Backends.OpcUa;
using MqttIoT.OpcUa.Tests.Infrastructure;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// Devices in nested address spaces (Tests/opcua-server's Site: folders, lines, a cell, motors of a type and a
/// subtype, a sensor), found by depth or by object type, with keys from nested components named by browse path.
/// </summary>
public class OpcUaAddressSpaceTests(OpcUaServerFixture fixture) : IClassFixture<OpcUaServerFixture>
{
    private Task<TestEnvironment> StartAsync(Action<OpcUaStationOptions> configure) =>
        TestEnvironment.StartAsync(OpcUaBackendTests.Station(fixture.Server.EndpointUrl, o =>
        {
            o.RootNode = "ns=1;s=Site";
            configure(o);
        }), true);

    [Fact]
    public async Task Objects_of_a_type_and_its_subtypes_are_devices_wherever_they_sit_with_keys_by_browse_path()
    {
        await using var env = await StartAsync(o =>
        {
            o.DeviceTypes = ["ns=1;s=MotorType"];
            o.SearchDepth = 5;
            o.KeyDepth = 2;
        });
        var client = await env.ConnectClientAsync();
        var station = client.GetStation("opcua-1");
        (await station.ListConnectedDevicesAsync()).Should().BeEquivalentTo("ns=1;s=Motor1", "ns=1;s=Motor2");
        (await station.GetDeviceKeysAsync("ns=1;s=Motor2")).Should().BeEquivalentTo("Temperature", "Drive/Speed", "Drive/Mode");

        // A key with a '/' travels escaped in the topic, as the contract says, and reads and writes as any other.
        var motor = client.GetDevice("opcua-1", "ns=1;s=Motor1");
        BinaryPrimitives.ReadSingleLittleEndian(await motor.ReadValueAsync("Drive/Speed")).Should().Be(1200.5f);
        var bytes = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, 1500f);
        await motor.WriteValueAsync("Drive/Speed", bytes);
        BinaryPrimitives.ReadSingleLittleEndian(await motor.ReadValueAsync("Drive/Speed")).Should().Be(1500f);
    }

    [Fact]
    public async Task Without_types_the_objects_at_the_configured_depth_are_the_devices_with_their_own_variables()
    {
        await using var env = await StartAsync(o => o.SearchDepth = 2);
        var client = await env.ConnectClientAsync();
        var station = client.GetStation("opcua-1");
        (await station.ListConnectedDevicesAsync()).Should().BeEquivalentTo("ns=1;s=Motor1", "ns=1;s=Sensor1", "ns=1;s=Cell");
        (await station.GetDeviceKeysAsync("ns=1;s=Motor1")).Should().BeEquivalentTo("Temperature");
    }
}
