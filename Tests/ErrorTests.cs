using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>The reply envelope on the wire, and each error code where the gateway produces it.</summary>
public class ErrorTests
{
    private const string Device = "iot/v1/stations/sim-1/devices/dev-0001/requests/";

    [Fact]
    public async Task An_error_reply_carries_the_envelope_the_user_properties_and_the_correlation_data()
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var reply = await raw.RequestAsync(Device + "READ_VALUE", """{"key":"humidity"}"""u8.ToArray());

        reply.UserProperty(Wire.StatusProperty).Should().Be("error");
        reply.UserProperty(Wire.ErrorCodeProperty).Should().Be("UNKNOWN_KEY");
        using var json = JsonDocument.Parse(reply.Payload);
        json.RootElement.GetProperty("status").GetString().Should().Be("error");
        json.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("UNKNOWN_KEY");
        json.RootElement.GetProperty("error").GetProperty("message").GetString().Should().Contain("humidity");
        json.RootElement.TryGetProperty("data", out _).Should().BeFalse();
    }

    [Fact]
    public async Task An_ok_reply_carries_status_ok_and_the_data()
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var reply = await raw.RequestAsync(Device + "READ_VALUE", """{"key":"setpoint"}"""u8.ToArray());
        reply.UserProperty(Wire.StatusProperty).Should().Be("ok");
        reply.UserProperty(Wire.ErrorCodeProperty).Should().BeNull();
        using var json = JsonDocument.Parse(reply.Payload);
        json.RootElement.GetProperty("status").GetString().Should().Be("ok");
        json.RootElement.GetProperty("data").GetProperty("value").GetString().Should().Be("32302e30", "\"20.0\" as hex");
        json.RootElement.GetProperty("data").GetProperty("text").GetString().Should().Be("20.0");
    }

    [Theory]
    [InlineData("stations/sim-1/devices/dev-0001/requests/FROBNICATE")]
    [InlineData("stations/sim-1/requests/SELF_DESTRUCT")]
    [InlineData("stations/sim-1/queries/GET_EVERYTHING")]
    [InlineData("stations/sim-1/queries/read_value")]
    public async Task An_unknown_type_is_unsupported(string topic)
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var reply = await raw.RequestAsync("iot/v1/" + topic, []);
        reply.UserProperty(Wire.ErrorCodeProperty).Should().Be("UNSUPPORTED");
        Encoding.UTF8.GetString(reply.Payload).Should().Contain(topic.Split('/')[^1]);
    }

    [Fact]
    public async Task Every_error_the_gateway_can_produce_reaches_the_sdk_with_its_code()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.FailingKeys = ["counter"]);
        var client = await env.ConnectClientAsync();
        var device = client.GetDevice("sim-1", "dev-0001");
        var station = client.GetStation("sim-1");

        await Expect(ErrorCode.UnknownKey, () => device.ReadValueAsync("humidity"));
        await Expect(ErrorCode.Unsupported, () => device.WriteTextAsync("temperature", "99"));
        await Expect(ErrorCode.Unsupported, () => device.EnableNotificationsAsync("config"));
        await Expect(ErrorCode.BadRequest, () => device.WriteTextAsync("setpoint", "99"));
        await Expect(ErrorCode.BadRequest, () => client.DeviceRequestAsync("sim-1", "dev-0001", DeviceRequestType.WriteValue,
            new RequestBody { Key = "config", Value = "zz" }));
        await Expect(ErrorCode.BadRequest, () => client.DeviceRequestAsync("sim-1", "dev-0001", DeviceRequestType.WriteValue,
            new RequestBody { Key = "config", Value = "01", Text = "x" }));
        await Expect(ErrorCode.BadRequest, () => client.DeviceRequestAsync("sim-1", "dev-0001", DeviceRequestType.ReadValue));
        await Expect(ErrorCode.BackendFailure, () => device.ReadValueAsync("counter"));
        await Expect(ErrorCode.UnknownDevice, () => client.GetDevice("sim-1", "dev-9999").ReadValueAsync("counter"));
        await Expect(ErrorCode.UnknownStation, () => client.GetStation("sim-2").StartAsync());

        await device.DisconnectAsync();
        await Expect(ErrorCode.NotConnected, () => device.ReadValueAsync("temperature"));
        await station.StopAsync();
        await Expect(ErrorCode.InvalidState, () => station.ConnectDeviceAsync("dev-0001"));
        await Expect(ErrorCode.InvalidState, () => station.StartDiscoveryAsync());

        // Each failure was logged once, at warning (or error for the backend failure), by the gateway.
        env.Logs.Count(LogEvents.RequestFailed, e => e.Value("Code") == "UNKNOWN_KEY").Should().Be(1);
        env.Logs.Count(LogEvents.RequestFailed, e => e.Value("Code") == "BACKEND_FAILURE").Should().Be(1);
        env.Logs.Count(LogEvents.RequestFailed, e => e.Value("Code") == "INVALID_STATE").Should().Be(2);
    }

    [Fact]
    public async Task After_errors_the_gateway_goes_on_serving()
    {
        await using var env = await TestEnvironment.StartAsync();
        var client = await env.ConnectClientAsync();
        var device = client.GetDevice("sim-1", "dev-0002");
        for (int i = 0; i < 20; i++)
            await Expect(ErrorCode.UnknownKey, () => device.ReadValueAsync($"nope-{i}"));
        (await device.WriteTextAsync("setpoint", "21")).Should().Be(2);
        (await device.ReadValueAsync("setpoint")).Should().Equal("21"u8.ToArray());
    }

    private static async Task Expect(ErrorCode code, Func<Task> act)
    {
        var thrown = await act.Should().ThrowAsync<IoTException>();
        thrown.Which.Code.Should().Be(code, thrown.Which.Message);
        thrown.Which.Message.Should().NotBeNullOrWhiteSpace();
    }
}
