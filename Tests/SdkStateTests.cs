using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>The Sdk reads and watches the retained props and availability the gateway publishes, and tells remote errors from local ones.</summary>
public class SdkStateTests
{
    [Fact]
    public async Task A_device_watch_starts_from_the_retained_state_and_follows_each_change()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 2);
        var client = await env.ConnectClientAsync();
        var device = client.GetDevice("sim-1", "dev-0001");
        await using var watch = await device.WatchAsync();

        var first = await watch.WaitForAsync(s => s.Props is not null && s.Online is not null);
        first.Should().Match<DeviceState>(s => s.Station == "sim-1" && s.Device == "dev-0001" && s.Online == true && s.Props!.Connected);

        await device.DisconnectAsync();
        // Each update is the whole state: props and availability, in whichever order they came.
        (await watch.WaitForAsync(s => s.Online == false && s.Props is { Connected: false })).Device.Should().Be("dev-0001");

        // A second watch of the same device joins a filter already subscribed: it starts from what the client holds.
        await using var late = await device.WatchAsync();
        var current = await late.WaitForAsync(s => s.Props is not null && s.Online is not null);
        current.Online.Should().BeFalse();
        current.Props!.Connected.Should().BeFalse();

        await device.ConnectAsync();
        await watch.WaitForAsync(s => s.Online == true && s.Props is { Connected: true });
    }

    [Fact]
    public async Task A_station_watch_sees_the_last_will_when_its_gateway_dies()
    {
        await using var env = await TestEnvironment.StartAsync();
        var client = await env.ConnectClientAsync();
        await using var watch = await client.GetStation("sim-1").WatchAsync();
        var first = await watch.WaitForAsync(s => s.Online == true && s.Props is not null);
        first.Props!.Started.Should().BeTrue();

        await env.Gateway.AbortAsync();
        (await watch.WaitForAsync(s => s.Online == false)).Station.Should().Be("sim-1");
    }

    [Fact]
    public async Task Props_changed_events_carry_the_new_props()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 1);
        var client = await env.ConnectClientAsync();
        var device = client.GetDevice("sim-1", "dev-0001");
        await using var events = await device.SubscribeToEventsAsync(DeviceEventType.PropsChanged);
        await device.DisconnectAsync();
        var changed = await events.WaitForAsync(e => e.Data?["connected"]?.GetValue<bool>() == false);
        changed.Data!["id"]!.GetValue<string>().Should().Be("dev-0001");
    }

    [Fact]
    public async Task Errors_say_whether_the_responder_sent_them()
    {
        await using var env = await TestEnvironment.StartAsync();
        var client = await env.ConnectClientAsync();

        var remote = () => client.GetStation("sim-1").ConnectDeviceAsync("no-such-device");
        var fromGateway = (await remote.Should().ThrowAsync<IoTException>()).Which;
        fromGateway.Code.Should().Be(ErrorCode.UnknownDevice);
        fromGateway.IsRemote.Should().BeTrue();

        // A persistent gateway session that lost its connection keeps its subscription: the request waits for it and the
        // caller's own timeout ends the call.
        await env.Gateway.AbortAsync();
        var local = () => client.GetDevice("sim-1", "dev-0001").ReadValueAsync("setpoint", timeout: TimeSpan.FromMilliseconds(300));
        var timedOut = (await local.Should().ThrowAsync<IoTException>()).Which;
        timedOut.Code.Should().Be(ErrorCode.DeadlineExceeded);
        timedOut.IsRemote.Should().BeFalse("no reply came: the Sdk's own timeout");
    }
}
