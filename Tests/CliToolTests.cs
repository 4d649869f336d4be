using System.Text.Json;
using System.Text.RegularExpressions;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// The real mosquitto_rr, mosquitto_sub and mosquitto_pub drive the system: the commands of README.md's
/// "Debug it with the tools you know" run as written (only the port, and credentials on Mosquitto, change),
/// and each reply has the shape the README shows.
/// </summary>
public partial class CliToolTests
{
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

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
