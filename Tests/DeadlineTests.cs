using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>A request's MessageExpiryInterval is its deadline: expired requests are not executed, running ones are cancelled.</summary>
public class DeadlineTests
{
    [Fact]
    public async Task A_request_that_outlives_its_deadline_is_cancelled_and_its_write_not_applied()
    {
        var time = new FakeTimeProvider();
        await using var env = await TestEnvironment.StartAsync(gatewayTime: time);
        var client = await env.ConnectClientAsync();
        var target = (SimulatedDevice)env.Station.FindDevice("dev-0001")!;
        env.Station.Latency = TimeSpan.FromSeconds(5);

        var started = env.Station.OperationsStarted;
        var write = client.DeviceRequestAsync("sim-1", "dev-0001", DeviceRequestType.WriteValue,
            new RequestBody { Key = "setpoint", Text = "25" }, timeout: TimeSpan.FromSeconds(1));
        // The write is in the device (5 s to go) when the gateway's clock reaches its 1 s deadline.
        await Deadline.UntilAsync(() => env.Station.OperationsStarted > started, "the write reached the device");
        time.Advance(TimeSpan.FromSeconds(1));
        var slow = () => write;
        (await slow.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.DeadlineExceeded);

        // The gateway's own deadline (from the expiry) cancels the backend call; it says so once.
        await Deadline.UntilAsync(() => Task.FromResult(env.Logs.Count(LogEvents.RequestFailed, e => e.Value("Code") == "DEADLINE_EXCEEDED") == 1), "gateway cancels");
        target.AppliedWrites.Should().Be(0);
        env.Station.Latency = TimeSpan.Zero;
        (await client.GetDevice("sim-1", "dev-0001").ReadValueAsync("setpoint")).Should().Equal("20.0"u8.ToArray());
    }

    [Fact]
    public async Task A_timeout_between_whole_seconds_is_the_gateways_deadline_too_not_the_rounded_up_expiry()
    {
        var time = new FakeTimeProvider();
        await using var env = await TestEnvironment.StartAsync(gatewayTime: time);
        var client = await env.ConnectClientAsync();
        var target = (SimulatedDevice)env.Station.FindDevice("dev-0001")!;
        // 1.2 s travels as an expiry of 2 s (whole seconds) and as timeout-ms 1200: a write that takes 1.6 s must not be
        // applied after the caller was told DEADLINE_EXCEEDED.
        env.Station.Latency = TimeSpan.FromMilliseconds(1600);

        var started = env.Station.OperationsStarted;
        var write = client.DeviceRequestAsync("sim-1", "dev-0001", DeviceRequestType.WriteValue,
            new RequestBody { Key = "setpoint", Text = "26" }, timeout: TimeSpan.FromMilliseconds(1200));
        // The gateway's clock reaches 1.2 s, not the 2 s of the rounded-up expiry, while the write is in the device.
        await Deadline.UntilAsync(() => env.Station.OperationsStarted > started, "the write reached the device");
        time.Advance(TimeSpan.FromMilliseconds(1200));
        var slow = () => write;
        var failure = (await slow.Should().ThrowAsync<IoTException>()).Which;
        failure.Code.Should().Be(ErrorCode.DeadlineExceeded);
        failure.Message.Should().Contain("1200 ms passed before the request finished", "the gateway's own answer arrives within the Sdk's grace");
        failure.IsRemote.Should().BeTrue("the gateway itself answered DEADLINE_EXCEEDED");

        await Deadline.UntilAsync(() => Task.FromResult(env.Logs.Count(LogEvents.RequestFailed, e => e.Value("Code") == "DEADLINE_EXCEEDED") == 1), "gateway cancels at 1.2 s");
        target.AppliedWrites.Should().Be(0);
    }

    [Fact]
    public async Task A_malformed_timeout_property_is_a_bad_request()
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var reply = await raw.RequestAsync("iot/v1/stations/sim-1/devices/dev-0001/requests/READ_VALUE", """{"key":"setpoint"}"""u8.ToArray(),
            userProperties: [(Wire.TimeoutProperty, "soon")]);
        reply.UserProperty(Wire.ErrorCodeProperty).Should().Be("BAD_REQUEST");
        Encoding.UTF8.GetString(reply.Payload).Should().Contain(Wire.TimeoutProperty);
    }

    [Fact]
    public async Task A_request_whose_deadline_passes_while_queued_behind_another_is_not_executed()
    {
        await using var env = await TestEnvironment.StartAsync();
        var client = await env.ConnectClientAsync();
        var target = (SimulatedDevice)env.Station.FindDevice("dev-0002")!;
        env.Station.Latency = TimeSpan.FromSeconds(2);

        // One operation per device at a time: the write waits for the read and its 1 s deadline passes meanwhile.
        var read = client.DeviceRequestAsync("sim-1", "dev-0002", DeviceRequestType.ReadValue, new RequestBody { Key = "counter" }, TimeSpan.FromSeconds(10));
        await Deadline.UntilAsync(() => Task.FromResult(env.Station.OperationsStarted > 0), "the read has started");
        var write = () => client.DeviceRequestAsync("sim-1", "dev-0002", DeviceRequestType.WriteValue,
            new RequestBody { Key = "setpoint", Text = "30" }, TimeSpan.FromSeconds(1));
        (await write.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.DeadlineExceeded);

        (await read).GetProperty("key").GetString().Should().Be("counter");
        await Deadline.UntilAsync(() => Task.FromResult(env.Logs.Count(LogEvents.RequestFailed, e => e.Value("Code") == "DEADLINE_EXCEEDED") == 1), "gateway drops the write");
        target.AppliedWrites.Should().Be(0);
        env.Station.OperationsStarted.Should().Be(1, "the expired write never reached the device");
    }

    [Fact]
    public async Task A_requester_that_waits_longer_than_the_expiry_gets_a_deadline_exceeded_reply()
    {
        var time = new FakeTimeProvider();
        await using var env = await TestEnvironment.StartAsync(gatewayTime: time);
        var raw = await env.ConnectRawAsync();
        env.Station.Latency = TimeSpan.FromSeconds(4);
        var started = env.Station.OperationsStarted;
        var request = raw.RequestAsync("iot/v1/stations/sim-1/devices/dev-0003/requests/SYNC_TIME", [], expiry: 1);
        await Deadline.UntilAsync(() => env.Station.OperationsStarted > started, "the request reached the device");
        time.Advance(TimeSpan.FromSeconds(1));
        var reply = await request;
        reply.UserProperty(Wire.ErrorCodeProperty).Should().Be("DEADLINE_EXCEEDED");
        using var json = JsonDocument.Parse(reply.Payload);
        json.RootElement.GetProperty("error").GetProperty("message").GetString().Should().Contain("1000 ms");
    }

    [Fact]
    public async Task Different_devices_are_served_concurrently()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 6);
        var client = await env.ConnectClientAsync();
        env.Station.Latency = TimeSpan.FromSeconds(1);
        // Six one-second reads on six devices, each with a 4 s deadline: run one after another they could not all make it.
        var reads = Enumerable.Range(1, 6).Select(i => client.DeviceRequestAsync("sim-1", $"dev-{i:D4}", DeviceRequestType.ReadValue,
            new RequestBody { Key = "temperature" }, TimeSpan.FromSeconds(4)));
        var replies = await Task.WhenAll(reads);
        replies.Should().HaveCount(6).And.OnlyContain(r => r.GetProperty("key").GetString() == "temperature");
    }
}
