using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>The shared request pipeline as the gateway uses it: per-device turns that leave nothing behind.</summary>
public class RequestPipelineTests
{
    [Fact]
    public async Task Station_requests_naming_unknown_devices_leave_no_per_device_turn_behind()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 3);
        var client = await env.ConnectClientAsync();
        var station = client.GetStation("sim-1");

        // Each id takes its turn (CONNECT serializes with the device's own requests), fails UNKNOWN_DEVICE, and must not stay.
        var calls = Enumerable.Range(0, 200).Select(async i =>
        {
            var call = () => station.ConnectDeviceAsync($"ghost-{i:D4}");
            (await call.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownDevice);
        });
        await Task.WhenAll(calls);
        // Known devices too: their turns go once their requests are answered.
        await Task.WhenAll(Enumerable.Range(0, 30).Select(i => client.GetDevice("sim-1", $"dev-000{i % 3 + 1}").ReadValueAsync("setpoint")));

        env.Gateway.DeviceTurns.Should().Be(0, "a turn lives only while a request holds or waits for it");
    }
}
