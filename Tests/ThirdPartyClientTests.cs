using System.Text.Json;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// The contract promises any MQTT v5 client can drive the system: two independent client libraries, MQTT.js (npm
/// <c>mqtt</c>, pinned in Tests/mqttjs, installed by its install.sh from test.sh; <c>Tests/mqttjs/client.js</c>) and
/// Eclipse Paho for Python (Debian's python3-paho-mqtt, installed by test.sh; <c>Tests/ThirdParty/paho_client.py</c>),
/// each read a device's retained props, make requests with Response Topic and Correlation Data and watch NOTIFIED
/// events, on both brokers (this class runs in both of test.sh's suites) with the ACL and credentials a real client has.
/// </summary>
public class ThirdPartyClientTests
{
    // Debian's interpreter, whose dist-packages hold python3-paho-mqtt (a pyenv or venv python3 first on PATH has not).
    private const string Python = "/usr/bin/python3";

    [Fact]
    public Task Paho_reads_retained_props_makes_requests_and_receives_events() =>
        DriveAsync(Python, Path.Combine(MosquittoBroker.RepositoryRoot, "Tests", "ThirdParty", "paho_client.py"), "paho-client");

    [Fact]
    public Task Mqtt_js_reads_retained_props_makes_requests_and_receives_events() =>
        DriveAsync("node", Path.Combine(MosquittoBroker.RepositoryRoot, "Tests", "mqttjs", "client.js"), "mqttjs-client");

    /// <summary>Runs a client script against a fresh system (a gateway of three simulated devices) and checks each of its results.</summary>
    private static async Task DriveAsync(string interpreter, string script, string clientId)
    {
        await using var env = await TestEnvironment.StartAsync();
        var (user, password) = env.ClientCredentials;
        var result = await Cli.RunAsync(interpreter, [script, "127.0.0.1", HostProcess.Number(env.Port), user ?? "", password ?? "", clientId, "sim-1", "dev-0001"],
            TimeSpan.FromSeconds(60));

        result.ExitCode.Should().Be(0, $"{result.Output}\n{result.Error}");
        var lines = result.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var props = lines.Single(l => l.GetProperty("kind").GetString() == "props").GetProperty("props");
        props.GetProperty("id").GetString().Should().Be("dev-0001");
        props.GetProperty("connected").GetBoolean().Should().BeTrue();
        var replies = lines.Where(l => l.GetProperty("kind").GetString() == "reply").ToList();
        replies.Select(r => r.GetProperty("request").GetString()).Should().Equal("READ_VALUE", "START_NOTIFY", "STOP_NOTIFY");
        replies.Should().OnlyContain(r => r.GetProperty("envelope").GetProperty("status").GetString() == "ok");
        replies[0].GetProperty("envelope").GetProperty("data").GetProperty("key").GetString().Should().Be("temperature");
        var notified = lines.Single(l => l.GetProperty("kind").GetString() == "event").GetProperty("event");
        notified.GetProperty("type").GetString().Should().Be("NOTIFIED");
        notified.GetProperty("device").GetString().Should().Be("dev-0001");
        notified.GetProperty("key").GetString().Should().Be("counter");
    }
}
