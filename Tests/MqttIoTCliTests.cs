using System.Globalization;
using System.Text.Json;
using MqttIoT.Sdk;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// The mqttiot command packed as a dotnet tool, installed from a folder feed into a tool path, and run as a process
/// against a real broker, gateway and hub started by the test; its output (table lines and json lines) and exit codes.
/// </summary>
public class MqttIoTCliTests(MqttIoTCliTests.Installed tool) : IClassFixture<MqttIoTCliTests.Installed>
{
    /// <summary>The tool packed and installed once for the class, and one system of five simulated devices with a hub.</summary>
    public sealed class Installed : IAsyncLifetime
    {
        private string _work = "";
        public string Command { get; private set; } = "";
        public TestEnvironment Env { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _work = Directory.CreateTempSubdirectory("mqttiot-cli-").FullName;
            var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
            var feed = Path.Combine(_work, "feed");
            var pack = await Cli.RunAsync("dotnet", ["pack", Path.Combine(MosquittoBroker.RepositoryRoot, "Cli", "MqttIoT.Cli.csproj"),
                "-c", "Release", "-o", feed, $"-p:Version={version}", "-nologo"], TimeSpan.FromMinutes(8));
            pack.ExitCode.Should().Be(0, pack.Output + pack.Error);
            var tools = Path.Combine(_work, "tools");
            var install = await Cli.RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", feed, "mqttiot", "--version", version],
                TimeSpan.FromMinutes(3), _work);
            install.ExitCode.Should().Be(0, install.Output + install.Error);
            Command = Path.Combine(tools, "mqttiot");

            Env = await TestEnvironment.StartAsync(o => o.DeviceCount = 5);
            await Env.StartHubAsync();
            await using var client = await Env.ConnectClientAsync();
            await Deadline.UntilAsync(async () =>
            {
                var n = 0;
                await foreach (var _ in client.FindAllDevicesAsync()) n++;
                return n == 5;
            }, "the hub knows the five devices");
        }

        public async Task DisposeAsync()
        {
            if (Env is not null) await Env.DisposeAsync();
            try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
        }
    }

    private Task<Cli.Result> RunAsync(params string[] args) => RunOnAsync(tool.Env.Port, args);

    private Task<Cli.Result> RunOnAsync(int port, params string[] args)
    {
        List<string> all = ["--port", port.ToString(CultureInfo.InvariantCulture)];
        if (tool.Env.ClientCredentials.User is { } user) all.AddRange(["--username", user, "--password", tool.Env.ClientCredentials.Password!]);
        all.AddRange(args);
        return Cli.RunAsync(tool.Command, all, TimeSpan.FromSeconds(60));
    }

    private static List<JsonElement> JsonLines(Cli.Result result) =>
        [.. result.Lines.Select(line => JsonDocument.Parse(line).RootElement.Clone())];

    [Fact]
    public async Task Stations_lists_the_station_as_a_plain_line_when_piped()
    {
        var result = await RunAsync("stations");
        result.ExitCode.Should().Be(0, result.Error);
        result.Lines.Should().ContainSingle(l => l.StartsWith("sim-1\tonline\t", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Devices_with_a_filter_print_one_json_object_per_line()
    {
        var all = await RunAsync("devices", "--station", "sim-1", "--output", "json");
        all.ExitCode.Should().Be(0, all.Error);
        JsonLines(all).Select(d => d.GetProperty("id").GetString()).Should().BeEquivalentTo(["dev-0001", "dev-0002", "dev-0003", "dev-0004", "dev-0005"]);

        var some = await RunAsync("devices", "--filter", """{"id":{"$in":["dev-0002","dev-0004"]}}""", "--output", "json");
        some.ExitCode.Should().Be(0, some.Error);
        JsonLines(some).Select(d => (d.GetProperty("station").GetString(), d.GetProperty("id").GetString()))
            .Should().Equal(("sim-1", "dev-0002"), ("sim-1", "dev-0004"));
    }

    [Fact]
    public async Task Read_and_write_then_read_back_by_id_alone()
    {
        var read = await RunAsync("read", "sim-1/dev-0001", "setpoint", "--output", "json");
        read.ExitCode.Should().Be(0, read.Error);
        var line = JsonLines(read).Should().ContainSingle().Subject;
        line.GetProperty("status").GetString().Should().Be("ok");
        line.GetProperty("data").GetProperty("text").GetString().Should().Be("20.0");

        var write = await RunAsync("write", "dev-0003", "setpoint", "--text", "22.5");
        write.ExitCode.Should().Be(0, write.Error);
        write.Lines.Should().ContainSingle().Which.Should().StartWith("sim-1\tdev-0003\tok\t");

        var back = await RunAsync("read", "dev-0003", "setpoint");
        back.ExitCode.Should().Be(0, back.Error);
        back.Lines.Should().ContainSingle().Which.Should().Be("sim-1\tdev-0003\tok\tsetpoint = 22.5");
    }

    [Fact]
    public async Task A_bulk_read_gives_a_line_per_device_and_a_summary()
    {
        var result = await RunAsync("read", "--where", """{"station":"sim-1"}""", "temperature", "--output", "json");
        result.ExitCode.Should().Be(0, result.Error);
        var lines = JsonLines(result);
        lines.SkipLast(1).Select(l => l.GetProperty("device").GetString()).Should().OnlyHaveUniqueItems().And.HaveCount(5);
        lines.SkipLast(1).Should().OnlyContain(l => l.GetProperty("status").GetString() == "ok");
        var summary = lines[^1].GetProperty("summary");
        (summary.GetProperty("total").GetInt32(), summary.GetProperty("ok").GetInt32(), summary.GetProperty("failed").GetInt32()).Should().Be((5, 5, 0));
    }

    [Fact]
    public async Task An_unknown_device_exits_with_the_code_of_UNKNOWN_DEVICE()
    {
        var result = await RunAsync("read", "no-such-device", "setpoint");
        result.ExitCode.Should().Be(13, result.Output + result.Error);
        result.Error.Should().Contain("UNKNOWN_DEVICE");
    }

    [Fact]
    public async Task Bad_input_gets_a_message_and_the_usage_exit_code()
    {
        var filter = await RunAsync("devices", "--filter", "{not json");
        filter.ExitCode.Should().Be(2);
        filter.Error.Should().Contain("bad filter");

        var command = await RunAsync("frobnicate");
        command.ExitCode.Should().Be(2);
        command.Error.Should().Contain("frobnicate");

        var flag = await RunAsync("stations", "--no-such-flag");
        flag.ExitCode.Should().Be(2);

        var rejected = await RunAsync("devices", "--filter", """{"online":{"$nope":1}}""");
        rejected.ExitCode.Should().Be(10, "the hub answers BAD_REQUEST for an operator it does not know: " + rejected.Error);
    }

    [Fact]
    public async Task A_broker_that_is_down_exits_3_within_the_connect_timeout()
    {
        var result = await RunOnAsync(FreePort.Next(), "stations", "--connect-timeout", "3");
        result.ExitCode.Should().Be(3);
        result.Error.Should().ContainAny("cannot connect to the broker", "no answer from the broker");
    }
}
