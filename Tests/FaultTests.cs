using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>Nothing is lost or done twice when connections drop and processes die.</summary>
public class FaultTests
{
    [Fact]
    public async Task A_redelivered_request_is_answered_again_but_executed_once()
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var target = (SimulatedDevice)env.Station.FindDevice("dev-0001")!;
        const string topic = "iot/v1/stations/sim-1/devices/dev-0001/requests/WRITE_VALUE";
        var body = """{"key":"config","value":"0102"}"""u8.ToArray();
        byte[] correlation = [0xca, 0xfe];

        var first = await raw.RequestAsync(topic, body, correlation: correlation);
        var second = await raw.RequestAsync(topic, body, correlation: correlation);
        second.Payload.Should().Equal(first.Payload, "the duplicate gets the same reply");
        Encoding.UTF8.GetString(first.Payload).Should().Contain("\"written\":2");
        target.AppliedWrites.Should().Be(1, "the write was applied once");

        // A new correlation is a new request.
        await raw.RequestAsync(topic, body, correlation: [0xca, 0xff]);
        target.AppliedWrites.Should().Be(2);
    }

    [Fact]
    public async Task Requests_sent_while_the_gateway_is_briefly_away_are_executed_when_it_is_back()
    {
        await using var env = await TestEnvironment.StartAsync(configureGateway: g =>
        {
            g.Mqtt.ReconnectMinDelay = TimeSpan.FromSeconds(1); // a gap long enough to send into
            g.Mqtt.ReconnectMaxDelay = TimeSpan.FromSeconds(1);
        });
        var client = await env.ConnectClientAsync();
        await env.Gateway.DropConnectionAsync();
        env.Gateway.IsConnected.Should().BeFalse();

        // The broker holds the request in the gateway's session and delivers it after the reconnect.
        var write = client.GetDevice("sim-1", "dev-0002").WriteTextAsync("setpoint", "24");
        (await write.WaitAsync(Deadline.Default)).Should().Be(2);
        ((SimulatedDevice)env.Station.FindDevice("dev-0002")!).AppliedWrites.Should().Be(1);
    }

    [Fact]
    public async Task A_gateway_killed_with_sigkill_goes_offline_through_its_will_within_one_and_a_half_keep_alives()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, users: ["sim-9"]);
        var watcher = await env.ConnectRawAsync();
        await watcher.SubscribeAsync("iot/v1/stations/sim-9/availability");

        const int keepAlive = 2;
        var gatewayDll = Path.Combine(MosquittoBroker.RepositoryRoot, "Gateway", "bin", "Debug", "net10.0", "MqttIoT.Gateway.dll");
        File.Exists(gatewayDll).Should().BeTrue("the solution build makes the gateway host");
        var (user, password) = env.GatewayCredentials("sim-9");
        using var gateway = Process.Start(new ProcessStartInfo("dotnet",
            [gatewayDll, "--port", env.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--station", "sim-9", "--devices", "2",
             "--username", user!, "--password", password!, "--keep-alive", keepAlive.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            await watcher.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "online", TimeSpan.FromSeconds(30));
            var killed = Stopwatch.StartNew();
            gateway.Kill(); // SIGKILL: no DISCONNECT, no cleanup
            await watcher.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "offline", TimeSpan.FromSeconds(keepAlive * 1.5 + 5));
            killed.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(keepAlive * 1.5), "the will fires within 1.5 keep-alives");
        }
        finally
        {
            if (!gateway.HasExited) gateway.Kill();
        }
    }
}
