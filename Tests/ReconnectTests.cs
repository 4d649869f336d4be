using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using System.Text;
using System.Text.Json;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>Broker restarts, lost broker state and dead gateways: everything recovers by itself.</summary>
public class ReconnectTests
{
    [Fact]
    public async Task Gateway_and_client_reconnect_after_a_broker_restart_and_resume_requests_and_events()
    {
        await using var env = await TestEnvironment.StartAsync();
        var client = await env.ConnectClientAsync();
        var device = client.GetDevice("sim-1", "dev-0001");
        await using var notes = await device.SubscribeToNotificationsAsync("counter");
        await device.EnableNotificationsAsync("counter");
        await notes.WaitForAsync(_ => true);

        await env.StopBrokerAsync();
        await Deadline.UntilAsync(() => Task.FromResult(!client.IsConnected && !env.Gateway.IsConnected), "both see the broker go");
        await env.StartBrokerAsync();
        await Deadline.UntilAsync(() => Task.FromResult(client.IsConnected && env.Gateway.IsConnected), "both reconnect");

        // The client's event subscription was restored: notifications stamped after the restart arrive.
        var restarted = DateTimeOffset.UtcNow;
        await notes.WaitForAsync(n => n.Timestamp > restarted);
        // And the gateway took its request subscriptions back.
        await Deadline.UntilAsync(async () =>
        {
            try { return (await device.ReadValueAsync("setpoint")).SequenceEqual("20.0"u8.ToArray()); }
            catch (Sdk.IoTException) { return false; } // until the gateway's resubscription lands
        }, "requests are served again");
    }

    [Fact]
    public async Task Retained_props_survive_a_broker_restart_even_with_no_gateway_running()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 2);
        await env.Gateway.StopAsync(Deadline.Token());
        await env.StopBrokerAsync();
        await env.StartBrokerAsync();

        var raw = await env.ConnectRawAsync();
        await raw.SubscribeAsync("iot/v1/#");
        const string props = "iot/v1/stations/sim-1/devices/dev-0002/props", station = "iot/v1/stations/sim-1/availability";
        var retained = await raw.LatestOnTopicsAsync([props, station], m => m.Retain);
        JsonSerializer.Deserialize(retained[props].Payload, ContractJson.Default.DeviceProps)!.Station.Should().Be("sim-1");
        Encoding.UTF8.GetString(retained[station].Payload).Should().Be("offline", "a gateway that stops cleanly says so; log:\n" + env.Logs.Tail());
    }

    [Fact]
    public async Task A_broker_that_lost_its_state_gets_every_retained_topic_republished()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 3);
        await env.StopBrokerAsync();
        Directory.Delete(Path.Combine(env.DataDirectory, "broker"), recursive: true);
        await env.StartBrokerAsync();
        await Deadline.UntilAsync(() => Task.FromResult(env.Gateway.IsConnected), "gateway reconnects");

        var raw = await env.ConnectRawAsync();
        await raw.SubscribeAsync("iot/v1/#");
        string[] topics = ["iot/v1/stations/sim-1/props", "iot/v1/stations/sim-1/availability",
            "iot/v1/stations/sim-1/devices/dev-0001/props", "iot/v1/stations/sim-1/devices/dev-0003/availability"];
        var retained = await raw.LatestOnTopicsAsync(topics);
        Encoding.UTF8.GetString(retained["iot/v1/stations/sim-1/availability"].Payload).Should().Be("online");
        Encoding.UTF8.GetString(retained["iot/v1/stations/sim-1/devices/dev-0003/availability"].Payload).Should().Be("online");
    }

    [Fact]
    public async Task A_gateway_that_dies_is_marked_offline_by_its_last_will()
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        await raw.SubscribeAsync("iot/v1/stations/sim-1/availability");
        await raw.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "online");

        await env.Gateway.AbortAsync();
        var will = await raw.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "offline");
        will.Topic.Should().Be("iot/v1/stations/sim-1/availability");

        // The will is retained: a late subscriber sees the station offline too.
        var late = await env.ConnectRawAsync();
        await late.SubscribeAsync("iot/v1/stations/sim-1/availability");
        var seen = await late.NextAsync(m => m.Retain);
        Encoding.UTF8.GetString(seen.Payload).Should().Be("offline");
    }

    [Fact]
    public async Task A_gateway_started_before_the_broker_connects_when_it_comes_up()
    {
        var time = new FakeTimeProvider();
        await using var env = await TestEnvironment.StartAsync(gateway: false, gatewayTime: time);
        await env.StopBrokerAsync();
        var starting = env.StartGatewayAsync();
        // The gateway has tried and failed at least once before the broker is there.
        await Deadline.UntilAsync(() => env.Logs.Count(LogEvents.SessionWaitingForBroker) > 0, "the gateway finds no broker");
        await env.StartBrokerAsync();
        // Its next try comes when its backoff has passed on its clock.
        await time.AdvanceUntilAsync(() => starting.IsCompleted, TimeSpan.FromMilliseconds(100), "the gateway connects once the broker is up");
        await starting;
        var client = await env.ConnectClientAsync();
        (await client.GetStation("sim-1").ListConnectedDevicesAsync()).Should().HaveCount(3);
    }
}
