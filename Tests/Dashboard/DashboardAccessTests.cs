using System.Net;
using System.Text;
using System.Text.Json;
using MqttIoT.Dashboard;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests.Dashboard;

/// <summary>
/// The dashboard's access rules over plain HTTP (no browser needed): a users file in Mosquitto's format, the
/// cross-site check on state-changing requests, anonymous only when the broker is, and the broker going away and
/// coming back announced on the live stream.
/// </summary>
public sealed class DashboardAccessTests
{
    [Fact]
    public async Task A_users_file_logs_in_its_users_and_state_changing_requests_need_the_dashboards_header_and_origin()
    {
        await using var env = await TestEnvironment.StartAsync();
        await env.StartHubAsync();
        var users = Path.Combine(env.DataDirectory, "dashboard-users");
        await MosquittoBroker.WritePasswordFileAsync(users, ["operator"]);
        var (user, password) = env.ClientCredentials;
        await using var server = new DashboardServer(new DashboardOptions
        {
            HttpPort = 0, UsersFile = users, Broker = new() { Port = env.Port, Username = user, Password = password },
        }, env.LoggerFactory);
        await server.StartAsync(Deadline.Token());
        using var http = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = server.Url };

        (await DataAsync(http, "/api/session")).GetProperty("mode").GetString().Should().Be("users-file");
        (await PostAsync(http, "/api/login", """{"user":"operator","password":"wrong"}""")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await PostAsync(http, "/api/login", """{"user":"client","password":"x"}""")).StatusCode.Should().Be(HttpStatusCode.Unauthorized,
            "a broker user is not a dashboard user in users-file mode");
        var noHeader = await http.PostAsync("/api/login", new StringContent($$"""{"user":"operator","password":"{{MosquittoBroker.Password}}"}"""));
        noHeader.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await PostAsync(http, "/api/login", $$"""{"user":"operator","password":"{{MosquittoBroker.Password}}"}""")).StatusCode.Should().Be(HttpStatusCode.OK);

        (await DataAsync(http, "/api/devices?search=dev-0002")).GetProperty("items").GetArrayLength().Should().Be(1);
        var foreign = new HttpRequestMessage(HttpMethod.Post, "/api/devices/sim-1/dev-0001/requests/WRITE_VALUE")
        {
            Content = new StringContent("""{"key":"setpoint","text":"30"}"""),
        };
        foreign.Headers.Add("X-MqttIoT-Dashboard", "1");
        foreign.Headers.Add("Origin", "http://evil.example");
        var refused = await http.SendAsync(foreign);
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await http.GetStringAsync("/api/session")).Should().Contain("\"user\":\"operator\"");
        await using var client = await env.ConnectClientAsync();
        Encoding.UTF8.GetString(await client.GetDevice("sim-1", "dev-0001").ReadValueAsync("setpoint")).Should().Be("20.0", "the cross-site write was not sent");

        var bad = await PostAsync(http, "/api/devices/sim-1/dev-0001/requests/WRITE_VALUE", """{"key":"config","value":"zz"}""");
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("BAD_REQUEST").And.Contain("not hex");
        (await http.GetAsync("/api/devices/sim-1/nope")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_dashboard_is_anonymous_only_when_the_broker_is_and_announces_the_broker_going_away_and_back()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, openEmbeddedBroker: true);
        await using var server = new DashboardServer(new DashboardOptions { HttpPort = 0, Broker = new() { Port = env.Port } }, env.LoggerFactory);
        await server.StartAsync(Deadline.Token());
        using var http = new HttpClient { BaseAddress = server.Url, Timeout = Timeout.InfiniteTimeSpan };
        var session = await DataAsync(http, "/api/session");
        session.GetProperty("mode").GetString().Should().Be("anonymous");
        session.GetProperty("loggedIn").GetBoolean().Should().BeTrue();

        using var stream = await http.GetStreamAsync("/api/events", Deadline.Token());
        using var reader = new StreamReader(stream);
        (await NextDataAsync(reader)).Should().Contain("\"kind\":\"hello\"");
        await env.StopBrokerAsync();
        (await NextDataAsync(reader, "BROKER_DISCONNECTED")).Should().Contain("\"broker\":false");
        await env.StartBrokerAsync();
        (await NextDataAsync(reader, "BROKER_CONNECTED")).Should().Contain("\"broker\":true");
    }

    private static async Task<string> NextDataAsync(StreamReader reader, string? containing = null)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var line = await reader.ReadLineAsync(deadline.Token) ?? throw new EndOfStreamException("the event stream ended");
            if (line.StartsWith("data: ", StringComparison.Ordinal) && (containing is null || line.Contains(containing, StringComparison.Ordinal)))
                return line;
        }
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-MqttIoT-Dashboard", "1");
        return http.SendAsync(request);
    }

    private static async Task<JsonElement> DataAsync(HttpClient http, string path)
    {
        var text = await http.GetStringAsync(path);
        return JsonDocument.Parse(text).RootElement.GetProperty("data").Clone();
    }
}
