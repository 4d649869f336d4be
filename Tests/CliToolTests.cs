using System.Text.Json;
using System.Text.RegularExpressions;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// The real mosquitto_rr, mosquitto_sub and mosquitto_pub drive the system: the commands of README.md's
/// "Debug it with the tools you know" run as written (only the port, and credentials on Mosquitto, change),
/// and each reply has the shape the README shows; every request, query and event type of the contract is driven
/// with mosquitto_rr or watched with mosquitto_sub, in the form topics.md gives, on one shared system.
/// </summary>
public partial class CliToolTests(CliToolTests.SharedSystem system) : IClassFixture<CliToolTests.SharedSystem>
{
    private static readonly TopicTree Topics = new();

    /// <summary>
    /// One gateway on a simulated station of ten devices, and a hub, for every contract type: each device request runs
    /// on a device of its own, and each case that changes the station undoes it (<see cref="SharedSystem.RestoreAsync"/>).
    /// </summary>
    public sealed class SharedSystem : IAsyncLifetime
    {
        public const string Station = "sim-1";
        public TestEnvironment Env { get; private set; } = null!;
        public IoTHubClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Env = await TestEnvironment.StartAsync(o => o.DeviceCount = 10);
            await Env.StartHubAsync();
            Client = await Env.ConnectClientAsync();
        }

        /// <summary>Back to a started station with discovery enabled and every known device connected.</summary>
        public async Task RestoreAsync()
        {
            var station = Client.GetStation(Station);
            await station.StartAsync();
            await station.EnableDiscoveryAsync();
            foreach (var id in await station.ListDiscoveredDevicesAsync()) await station.ConnectDeviceAsync(id);
        }

        public async Task DisposeAsync() => await Env.DisposeAsync();
    }

    // ---- every request and query type, through mosquitto_rr ----

    /// <summary>The smallest body each type needs on the simulated station (types not listed need none).</summary>
    private static readonly Dictionary<string, string> Bodies = new(StringComparer.Ordinal)
    {
        ["device:READ_VALUE"] = """{"key":"temperature"}""",
        ["device:WRITE_VALUE"] = """{"key":"setpoint","text":"21.5"}""",
        ["device:START_NOTIFY"] = """{"key":"counter"}""",
        ["device:STOP_NOTIFY"] = """{"key":"counter"}""",
        ["station:CONNECT"] = """{"device":"dev-0010"}""",
        ["station:DISCONNECT"] = """{"device":"dev-0010"}""",
        ["query:GET_DEVICE_PROPS"] = """{"device":"dev-0001"}""",
        ["query:GET_DEVICE_KEYS"] = """{"device":"dev-0001"}""",
        ["hub:GET_STATION"] = """{"station":"sim-1"}""",
        ["hub:GET_DEVICE"] = """{"device":"dev-0001"}""",
    };

    /// <summary>Every type of the contract's enums, as (kind, name); the kind says which topic it goes to.</summary>
    public static TheoryData<string, string> RequestTypes()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in WireName<DeviceRequestType>.All) data.Add("device", name);
        foreach (var name in WireName<StationRequestType>.All) data.Add("station", name);
        foreach (var name in WireName<StationQueryType>.All) data.Add("query", name);
        foreach (var name in WireName<HubQueryType>.All) data.Add("hub", name);
        return data;
    }

    [Theory]
    [MemberData(nameof(RequestTypes))]
    public async Task Every_request_and_query_type_answers_mosquitto_rr_with_a_reply_envelope(string kind, string name)
    {
        var topic = kind switch
        {
            // Each device request on its own device, so DISCONNECT or RESET leaves the others alone.
            "device" => Topics.DeviceRequest(SharedSystem.Station, $"dev-{WireName<DeviceRequestType>.All.ToList().IndexOf(name) + 1:D4}",
                Parse<DeviceRequestType>(name)),
            "station" => Topics.StationRequest(SharedSystem.Station, Parse<StationRequestType>(name)),
            "query" => Topics.StationQuery(SharedSystem.Station, Parse<StationQueryType>(name)),
            _ => Topics.HubQuery(Parse<HubQueryType>(name)),
        };
        var id = $"rr-{kind}-{name.ToLowerInvariant().Replace('_', '-')}";
        var body = Bodies.TryGetValue($"{kind}:{name}", out var b) ? $"-m '{b}'" : "-n";
        // The form of topics.md's examples, with the port (and credentials on Mosquitto) of this system.
        var command = $"mosquitto_rr -h 127.0.0.1 -p 1883 -i {id} -e {Topics.ClientReplies(id)} -t '{topic}' {body}";
        try
        {
            var result = await Cli.ShellAsync(Adapt(command, system.Env), TimeSpan.FromSeconds(20));
            result.ExitCode.Should().Be(0, $"{command}\n{result.Error}");
            using var reply = JsonDocument.Parse(result.Lines.Single());
            reply.RootElement.GetProperty("status").GetString().Should().Be("ok", $"{command} answered {result.Output}");
        }
        finally
        {
            if (kind == "station") await system.RestoreAsync();
        }
    }

    [Fact]
    public void Every_body_is_for_a_type_of_the_contract() =>
        Bodies.Keys.Should().BeSubsetOf(RequestTypes().Select(row => $"{row[0]}:{row[1]}"));

    [Fact]
    public void Every_mosquitto_rr_example_of_topics_md_reads_replies_from_its_own_inbox()
    {
        var doc = File.ReadAllText(Path.Combine(MosquittoBroker.RepositoryRoot, "topics.md"));
        var commands = doc.Split('\n').Where(l => l.StartsWith("mosquitto_rr ", StringComparison.Ordinal)).ToList();
        commands.Should().HaveCountGreaterThan(10);
        // auth/acl lets a client read replies only under iot/v1/clients/<its client id or user>/.
        commands.Should().OnlyContain(c => OwnInbox().IsMatch(c), "the shipped ACL lets no one read another reply topic");
    }

    // ---- every event type, watched with mosquitto_sub -C 1 ----

    /// <summary>
    /// What makes each event happen on the shared system, through the Sdk; and what undoes it. Station events
    /// on device dev-0010, device events on dev-0009 (no request case uses them).
    /// </summary>
    private static readonly Dictionary<string, (Func<IoTHubClient, Task> Trigger, Func<IoTHubClient, Task>? Undo)> Triggers = new(StringComparer.Ordinal)
    {
        ["station:STARTED"] = (async c => { await Sim(c).StopAsync(); await Sim(c).StartAsync(); }, null),
        ["station:STOPPED"] = (c => Sim(c).StopAsync(), null),
        ["station:DISCOVERY_ENABLED"] = (async c => { await Sim(c).DisableDiscoveryAsync(); await Sim(c).EnableDiscoveryAsync(); }, null),
        ["station:DISCOVERY_DISABLED"] = (c => Sim(c).DisableDiscoveryAsync(), null),
        ["station:DISCOVERY_STARTED"] = (c => Sim(c).StartDiscoveryAsync(), c => Sim(c).StopDiscoveryAsync()),
        ["station:DISCOVERY_STOPPED"] = (async c => { await Sim(c).StartDiscoveryAsync(); await Sim(c).StopDiscoveryAsync(); }, null),
        ["station:DEVICE_CONNECTED"] = (async c => { await Sim(c).DisconnectDeviceAsync("dev-0010"); await Sim(c).ConnectDeviceAsync("dev-0010"); }, null),
        ["station:DEVICE_DISCONNECTED"] = (c => Sim(c).DisconnectDeviceAsync("dev-0010"), null),
        ["station:PROPS_CHANGED"] = (c => Sim(c).DisconnectDeviceAsync("dev-0010"), null),
        ["device:CONNECTED"] = (async c => { await Dev(c).DisconnectAsync(); await Dev(c).ConnectAsync(); }, null),
        ["device:DISCONNECTED"] = (c => Dev(c).DisconnectAsync(), null),
        ["device:TIME_SET"] = (c => c.DeviceRequestAsync(SharedSystem.Station, "dev-0009", DeviceRequestType.SetTime), null),
        ["device:SYNCED"] = (c => c.DeviceRequestAsync(SharedSystem.Station, "dev-0009", DeviceRequestType.SyncTime), null),
        ["device:NOTIFIED"] = (c => Dev(c).EnableNotificationsAsync("counter"), c => Dev(c).DisableNotificationsAsync("counter")),
        ["device:NOTIFY_STARTED"] = (c => Dev(c).EnableNotificationsAsync("counter"), c => Dev(c).DisableNotificationsAsync("counter")),
        ["device:NOTIFY_STOPPED"] = (async c => { await Dev(c).EnableNotificationsAsync("counter"); await Dev(c).DisableNotificationsAsync("counter"); }, null),
        ["device:PROPS_CHANGED"] = (async c => { await Dev(c).DisconnectAsync(); await Dev(c).ConnectAsync(); }, null),
    };

    /// <summary>
    /// Event types with no cheap trigger here: the simulated station reports DEVICE_DISCOVERED once per device in its
    /// life, and the shared system has found them all before the first case (StationTests watch it through the Sdk).
    /// </summary>
    private static readonly HashSet<string> NotTriggered = new(StringComparer.Ordinal) { "station:DEVICE_DISCOVERED" };

    public static TheoryData<string, string> EventTypes()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in WireName<StationEventType>.All.Where(n => !NotTriggered.Contains($"station:{n}"))) data.Add("station", name);
        foreach (var name in WireName<DeviceEventType>.All.Where(n => !NotTriggered.Contains($"device:{n}"))) data.Add("device", name);
        return data;
    }

    [Fact]
    public void Every_event_type_has_a_trigger_or_a_reason_why_not() =>
        Triggers.Keys.Concat(NotTriggered).Should().BeEquivalentTo(
            WireName<StationEventType>.All.Select(n => $"station:{n}").Concat(WireName<DeviceEventType>.All.Select(n => $"device:{n}")));

    [Theory]
    [MemberData(nameof(EventTypes))]
    public async Task Every_event_type_can_be_watched_with_mosquitto_sub(string kind, string name)
    {
        var filter = kind == "station"
            ? Topics.StationEventsFilter(SharedSystem.Station, Parse<StationEventType>(name))
            : Topics.DeviceEventsFilter(SharedSystem.Station, "dev-0009", Parse<DeviceEventType>(name),
                name == "NOTIFIED" ? "counter" : null);
        var (trigger, undo) = Triggers[$"{kind}:{name}"];
        var command = $"mosquitto_sub -h 127.0.0.1 -p 1883 -V mqttv5 -C 1 -t '{filter}'";
        try
        {
            // -d prints the SUBACK: the trigger goes only once the subscription is in place.
            // stdbuf: line-buffered output, so the SUBACK line comes as it is printed.
            await using var sub = ChildProcess.Start("stdbuf", ["-oL", "bash", "-c", Adapt(command, system.Env) + " -d"]);
            await sub.WaitForLineAsync(l => l.Contains("received SUBACK", StringComparison.Ordinal), command);
            await trigger(system.Client);
            await sub.WaitForExitAsync();
            sub.ExitCode.Should().Be(0, command);
            var lines = sub.StandardOutput.Split('\n');
            var payload = lines.Where(l => l.StartsWith('{')).Should().ContainSingle($"{command} prints one event").Subject;
            using var json = JsonDocument.Parse(payload);
            json.RootElement.GetProperty("type").GetString().Should().Be(name, command);
            json.RootElement.GetProperty("station").GetString().Should().Be(SharedSystem.Station);
        }
        finally
        {
            if (undo is not null) await undo(system.Client);
            await system.RestoreAsync();
        }
    }

    private static T Parse<T>(string name) where T : struct, Enum =>
        WireName<T>.TryParse(name, out var value) ? value : throw new ArgumentException($"'{name}' is no {typeof(T).Name}");

    private static RemoteStation Sim(IoTHubClient c) => c.GetStation(SharedSystem.Station);

    private static RemoteDevice Dev(IoTHubClient c) => c.GetDevice(SharedSystem.Station, "dev-0009");

    [Fact]
    public async Task The_readme_commands_work_as_written_and_answer_as_documented()
    {
        var steps = ReadmeSteps();
        steps.Select(s => s.Command).Should().Contain(c => c.Contains("READ_VALUE")).And.Contain(c => c.Contains("WRITE_VALUE"))
            .And.Contain(c => c.Contains("/queries/")).And.Contain(c => c.Contains("START_NOTIFY")).And.Contain(c => c.Contains("hub/queries/FIND_DEVICES")).And.Contain(c => c.StartsWith("mosquitto_sub", StringComparison.Ordinal));

        await using var env = await TestEnvironment.StartAsync();
        await env.StartHubAsync();
        foreach (var (command, expected) in steps.Where(s => s.Expected is not null))
        {
            var result = await Cli.ShellAsync(Adapt(command, env), TimeSpan.FromSeconds(20));
            result.ExitCode.Should().Be(0, $"{command}\n{result.Error}");
            var lines = result.Lines.ToList();
            lines.Should().NotBeEmpty(command);
            foreach (var line in lines) SameShape(JsonDocument.Parse(line).RootElement, JsonDocument.Parse(expected!).RootElement, command);
        }
    }

    [Fact]
    public async Task A_write_through_mosquitto_rr_is_seen_by_the_sdk()
    {
        await using var env = await TestEnvironment.StartAsync();
        var result = await Cli.ShellAsync(Adapt(
            """mosquitto_rr -h 127.0.0.1 -p 1883 -i me -e iot/v1/clients/me/replies -t iot/v1/stations/sim-1/devices/dev-0002/requests/WRITE_VALUE -m '{"key":"config","value":"c0ffee"}'""", env));
        result.Output.Should().Contain("\"written\":3");
        var device = (await env.ConnectClientAsync()).GetDevice("sim-1", "dev-0002");
        (await device.ReadValueAsync("config")).Should().Equal(0xc0, 0xff, 0xee);
    }

    [Fact]
    public async Task An_mqtt311_client_uses_the_body_fallback_with_mosquitto_pub_and_mosquitto_sub()
    // mosquitto_pub -V mqttv311 sends an empty client id, which the broker must accept with a clean session.
    {
        await using var env = await TestEnvironment.StartAsync();
        var auth = Credentials(env);
        // The request may go only once the reply subscription is in place (the first of the two messages it waits for is the probe).
        var sub = Cli.ShellAsync($"stdbuf -oL mosquitto_sub -h 127.0.0.1 -p {env.Port}{auth} -V mqttv311 -i v311 -t iot/v1/clients/v311/replies -C 2 -W 15");
        var subscribed = await WaitForSubackAsync(env);
        subscribed.Should().BeTrue();
        var pub = await Cli.ShellAsync($$"""mosquitto_pub -h 127.0.0.1 -p {{env.Port}}{{auth}} -V mqttv311 -q 1 -t iot/v1/stations/sim-1/devices/dev-0001/requests/READ_VALUE -m '{"key":"setpoint","responseTopic":"iot/v1/clients/v311/replies","correlationId":"42"}'""");
        pub.ExitCode.Should().Be(0, pub.Error);
        var reply = (await sub).Lines.Single(l => l.Contains("correlationId", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(reply);
        json.RootElement.GetProperty("status").GetString().Should().Be("ok");
        json.RootElement.GetProperty("correlationId").GetString().Should().Be("42");
        json.RootElement.GetProperty("data").GetProperty("text").GetString().Should().Be("20.0");
    }

    private static async Task<bool> WaitForSubackAsync(TestEnvironment env)
    {
        // Both brokers answer a QoS 1 publish with "no matching subscribers" until the subscription exists:
        // the first probe that succeeds is also the first message the subscriber receives.
        var raw = await env.ConnectRawAsync();
        await Deadline.UntilAsync(async () =>
            (await raw.PublishAsync("iot/v1/clients/v311/replies", """{"probe":true}"""u8.ToArray())).ReasonCode
                == MQTTnet.MqttClientPublishReasonCode.Success, "mosquitto_sub has subscribed");
        return true;
    }

    private static void SameShape(JsonElement actual, JsonElement expected, string command)
    {
        actual.ValueKind.Should().Be(expected.ValueKind, command);
        if (expected.ValueKind != JsonValueKind.Object) return;
        foreach (var property in expected.EnumerateObject())
        {
            actual.TryGetProperty(property.Name, out var value).Should().BeTrue($"{command} answers with '{property.Name}'");
            if (property.Name is "status" or "code" or "type" or "key") value.GetString().Should().Be(property.Value.GetString(), command);
            else if (property.Value.ValueKind == JsonValueKind.Object) SameShape(value, property.Value, command);
            else if (property.Value.ValueKind != JsonValueKind.String || property.Value.GetString() != "...")
                value.ValueKind.Should().Be(property.Value.ValueKind, $"{command}: '{property.Name}'");
        }
    }

    /// <summary>The commands of the README's debugging block, each with the reply line documented under it (if any).</summary>
    private static List<(string Command, string? Expected)> ReadmeSteps()
    {
        var readme = File.ReadAllText(Path.Combine(MosquittoBroker.RepositoryRoot, "README.md"));
        var start = readme.IndexOf("## Debug it with the tools you know", StringComparison.Ordinal);
        start.Should().BeGreaterThan(0);
        var block = CodeBlock().Match(readme, start).Groups[1].Value;
        var steps = new List<(string, string?)>();
        var lines = block.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("mosquitto_", StringComparison.Ordinal)) continue;
            string? expected = i + 1 < lines.Length && lines[i + 1].StartsWith("# {", StringComparison.Ordinal) ? lines[i + 1][2..] : null;
            steps.Add((lines[i], expected));
        }
        return steps;
    }

    private static string Adapt(string command, TestEnvironment env) =>
        command.Replace("-p 1883", $"-p {env.Port}{Credentials(env)}", StringComparison.Ordinal) + " -W 15";

    private static string Credentials(TestEnvironment env) =>
        env.ClientCredentials.User is { } user ? $" -u {user} -P {env.ClientCredentials.Password}" : "";

    [GeneratedRegex(@" -i (\S+) -e iot/v1/clients/\1/replies ")]
    private static partial Regex OwnInbox();

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
