using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// examples/node-red/flow.json in a real Node-RED (Tests/node-red, pinned 4.1.x, installed by its install.sh) on a loopback
/// port: deployed through the admin API, then driven through the flow's HTTP endpoints against a real broker, gateway and hub.
/// </summary>
public class NodeRedTests
{
    private static readonly string Folder = Path.Combine(MosquittoBroker.RepositoryRoot, "Tests", "node-red");
    private static readonly string FlowFile = Path.Combine(MosquittoBroker.RepositoryRoot, "examples", "node-red", "flow.json");

    [Fact]
    public async Task The_example_flow_lists_devices_through_the_hub_reads_writes_and_collects_notifications()
    {
        var install = await Cli.RunAsync("bash", [Path.Combine(Folder, "install.sh")], TimeSpan.FromSeconds(300));
        install.ExitCode.Should().Be(0, $"Tests/node-red/install.sh failed (needs Node.js and npm):\n{install.Output}\n{install.Error}");

        await using var env = await TestEnvironment.StartAsync();
        await env.StartHubAsync();
        var (user, password) = env.ClientCredentials;
        await using var nodeRed = await NodeRed.StartAsync(env.Port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{nodeRed.Port}"), Timeout = TimeSpan.FromSeconds(20) };

        // Deploy the example as a person would after importing it: the broker node gets the user and password
        // (its host and port are ${MQTT_HOST} and ${MQTT_PORT}, set in Node-RED's environment).
        var flow = JsonNode.Parse(await File.ReadAllTextAsync(FlowFile))!.AsArray();
        var broker = flow.Single(n => (string?)n!["type"] == "mqtt-broker")!;
        broker["credentials"] = new JsonObject { ["user"] = user, ["password"] = password };
        using (var deploy = new HttpRequestMessage(HttpMethod.Post, "/flows") { Content = new StringContent(flow.ToJsonString(), Encoding.UTF8, "application/json") })
        {
            deploy.Headers.Add("Node-RED-Deployment-Type", "full");
            var deployed = await http.SendAsync(deploy);
            deployed.IsSuccessStatusCode.Should().BeTrue($"deploying the flow: {(int)deployed.StatusCode} {await deployed.Content.ReadAsStringAsync()}\n{nodeRed.Output}");
        }

        // The deploy answers before the flow has started: its HTTP endpoints are not there yet (404) and its MQTT nodes
        // connect a little later (a request times out in the flow, 504), so the first request waits for both.
        JsonNode? devices = null;
        await Deadline.UntilAsync(async () =>
        {
            using (var probe = await http.GetAsync("/mqttiot/notifications"))
                if (!probe.IsSuccessStatusCode) return false;
            devices = await GetAsync(http, "/mqttiot/devices");
            return (string?)devices?["status"] == "ok" && devices["data"]!["items"]!.AsArray().Count >= 3;
        }, $"GET /mqttiot/devices lists the devices; last answer {devices?.ToJsonString()}\n{nodeRed.Output}", TimeSpan.FromSeconds(45));
        devices!["data"]!["items"]!.AsArray().Select(i => (string?)i!["id"]).Should().Contain(["dev-0001", "dev-0002", "dev-0003"]);

        var read = await GetAsync(http, "/mqttiot/read?station=sim-1&device=dev-0001&key=setpoint");
        ((string?)read?["status"]).Should().Be("ok", read?.ToJsonString());
        ((string?)read!["data"]!["text"]).Should().Be("20.0");

        var written = await GetAsync(http, "/mqttiot/write?station=sim-1&device=dev-0001&key=setpoint&text=22.5");
        ((string?)written?["status"]).Should().Be("ok", written?.ToJsonString());
        var client = await env.ConnectClientAsync();
        Encoding.UTF8.GetString(await client.GetDevice("sim-1", "dev-0001").ReadValueAsync("setpoint")).Should().Be("22.5");

        var unknown = await http.GetAsync("/mqttiot/read?device=dev-9999&key=setpoint");
        ((int)unknown.StatusCode).Should().Be(502);
        (await unknown.Content.ReadAsStringAsync()).Should().Contain("UNKNOWN_DEVICE");

        var started = await GetAsync(http, "/mqttiot/notify?station=sim-1&device=dev-0002&key=counter");
        ((string?)started?["status"]).Should().Be("ok", started?.ToJsonString());
        JsonArray? notifications = null;
        await Deadline.UntilAsync(async () =>
        {
            notifications = (await GetAsync(http, "/mqttiot/notifications?key=counter"))?.AsArray();
            return notifications?.Count >= 3;
        }, $"three counter notifications at GET /mqttiot/notifications; last answer {notifications?.ToJsonString()}");
        notifications!.Should().OnlyContain(n => (string?)n!["device"] == "dev-0002" && (string?)n["key"] == "counter");
        notifications.Select(n => long.Parse((string)n!["text"]!, System.Globalization.CultureInfo.InvariantCulture)).Should().BeInAscendingOrder();
    }

    [Fact]
    public void The_example_readme_describes_every_endpoint_of_the_flow()
    {
        var readme = File.ReadAllText(Path.Combine(MosquittoBroker.RepositoryRoot, "examples", "node-red", "README.md"));
        var urls = JsonNode.Parse(File.ReadAllText(FlowFile))!.AsArray()
            .Where(n => (string?)n!["type"] == "http in").Select(n => (string)n!["url"]!).ToList();
        urls.Should().HaveCount(5);
        urls.Should().OnlyContain(url => readme.Contains($"`{url}", StringComparison.Ordinal));
    }

    private static async Task<JsonNode?> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        try { return text.Length == 0 ? null : JsonNode.Parse(text); }
        catch (JsonException e) { throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode}, not JSON: {text}", e); }
    }

    /// <summary>A Node-RED process from Tests/node-red on a free loopback port, with its own userDir, killed at dispose.</summary>
    private sealed class NodeRed : IAsyncDisposable
    {
        private readonly ChildProcess _process;
        private readonly string _userDir;

        private NodeRed(ChildProcess process, int port, string userDir)
        {
            _process = process;
            Port = port;
            _userDir = userDir;
        }

        public int Port { get; }

        public string Output => _process.Output;

        public static async Task<NodeRed> StartAsync(int brokerPort)
        {
            var port = FreePort.Next();
            var userDir = Directory.CreateTempSubdirectory("mqttiot-node-red-").FullName;
            var process = ChildProcess.Start("node",
                [Path.Combine(Folder, "node_modules", "node-red", "red.js"), "--userDir", userDir, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                 "--settings", Path.Combine(Folder, "settings.js")],
                Folder, new Dictionary<string, string>
                {
                    ["MQTT_HOST"] = "127.0.0.1", ["MQTT_PORT"] = brokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["NODE_RED_ENABLE_PROJECTS"] = "false",
                });
            var nodeRed = new NodeRed(process, port, userDir);
            try
            {
                using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
                await Deadline.UntilAsync(async () =>
                {
                    if (process.HasExited) throw new InvalidOperationException($"Node-RED exited ({process.ExitCode}):\n{nodeRed.Output}");
                    try { return (await probe.GetAsync(new Uri($"http://127.0.0.1:{port}/settings"))).IsSuccessStatusCode; }
                    catch (HttpRequestException) { return false; }
                    catch (TaskCanceledException) { return false; }
                }, $"Node-RED answers on port {port}", TimeSpan.FromSeconds(60));
            }
            catch
            {
                await nodeRed.DisposeAsync();
                throw;
            }
            return nodeRed;
        }

        public async ValueTask DisposeAsync()
        {
            await _process.KillAsync(entireProcessTree: true);
            await _process.DisposeAsync();
            try { Directory.Delete(_userDir, recursive: true); } catch (IOException) { }
        }
    }
}
