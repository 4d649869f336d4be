using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>Bad input in bulk: every malformed request gets a BAD_REQUEST reply and one log line, and the gateway goes on.</summary>
public class BadInputTests
{
    private const string ReadTopic = "iot/v1/stations/sim-1/devices/dev-0001/requests/READ_VALUE";
    private const string WriteTopic = "iot/v1/stations/sim-1/devices/dev-0001/requests/WRITE_VALUE";

    public static TheoryData<string, byte[]> Malformed()
    {
        var data = new TheoryData<string, byte[]>
        {
            { "invalid UTF-8", [0x7b, 0x22, 0x6b, 0x65, 0x79, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d] },
            { "not JSON", "key=temperature"u8.ToArray() },
            { "an array", """["temperature"]"""u8.ToArray() },
            { "a string", "\"temperature\""u8.ToArray() },
            { "null", "null"u8.ToArray() },
            { "a number for key", """{"key":42}"""u8.ToArray() },
            { "an object for key", """{"key":{"$ne":null}}"""u8.ToArray() },
            { "a null key", """{"key":null}"""u8.ToArray() },
            { "truncated", """{"key":"temp"""u8.ToArray() },
            { "trailing garbage", """{"key":"temperature"} x"""u8.ToArray() },
            { "deep nesting", Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)) },
            { "deep object", Encoding.UTF8.GetBytes("{\"key\":\"counter\",\"x\":" + string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 201)) },
            { "over 64 KiB", Encoding.UTF8.GetBytes("{\"key\":\"" + new string('t', 70_000) + "\"}") },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_body_gets_bad_request_and_one_log_line(string what, byte[] payload)
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var reply = await raw.RequestAsync(ReadTopic, payload);
        reply.UserProperty(Wire.ErrorCodeProperty).Should().Be("BAD_REQUEST", what);
        using var json = JsonDocument.Parse(reply.Payload);
        var message = json.RootElement.GetProperty("error").GetProperty("message").GetString();
        message.Should().NotBeNullOrWhiteSpace();
        message!.Length.Should().BeLessThan(300, "the error explains, it does not echo the input back");
        env.Logs.Count(LogEvents.RequestFailed, e => e.Value("Code") == "BAD_REQUEST").Should().Be(1);

        var ok = await raw.RequestAsync(ReadTopic, """{"key":"setpoint"}"""u8.ToArray());
        ok.UserProperty(Wire.StatusProperty).Should().Be("ok", "the gateway goes on serving");
    }

    [Fact]
    public async Task Random_bytes_in_bulk_never_break_the_gateway()
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var random = new Random(20261125);
        string[] topics = [ReadTopic, WriteTopic, "iot/v1/stations/sim-1/requests/CONNECT", "iot/v1/stations/sim-1/queries/GET_DEVICE_PROPS"];
        const int count = 300;
        var replies = new List<Task<MqttIoT.Protocol.ReceivedMessage>>();
        for (int i = 0; i < count; i++)
        {
            var payload = new byte[random.Next(1, 2048)];
            random.NextBytes(payload);
            if (payload[0] == (byte)'{') payload[0] = 0xff; // keep it certainly not an object
            replies.Add(raw.RequestAsync(topics[i % topics.Length], payload, timeout: TimeSpan.FromSeconds(30)));
        }
        var all = await Task.WhenAll(replies);
        all.Select(r => r.UserProperty(Wire.ErrorCodeProperty)).Should().AllBe("BAD_REQUEST");
        env.Logs.Count(LogEvents.RequestFailed, e => e.Value("Code") == "BAD_REQUEST").Should().Be(count);
        env.Logs.Count(LogLevel.Error).Should().Be(0, "bad input is the client's problem, not an internal error");

        var device = (await env.ConnectClientAsync()).GetDevice("sim-1", "dev-0002");
        (await device.WriteTextAsync("setpoint", "23")).Should().Be(2);
    }

    [Fact]
    public async Task A_response_topic_inside_the_tree_is_refused_so_requests_cannot_overwrite_other_devices()
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        const string victim = "iot/v1/stations/sim-1/devices/dev-0002/props";
        await raw.SubscribeAsync(victim);
        var before = await raw.NextAsync(m => m.Topic == victim && m.Retain);

        foreach (var target in new[] { victim, "iot/v1/stations/sim-1/availability", "iot/v1/hub/queries/LIST_DEVICES", "iot/v1/stations/+/devices/+/props" })
            await raw.PublishAsync(ReadTopic, """{"key":"setpoint"}"""u8.ToArray(), responseTopic: target, correlation: [1]);
        // The MQTT 3.1.1 fallback goes through the same check.
        await raw.PublishAsync(ReadTopic, Encoding.UTF8.GetBytes($$"""{"key":"setpoint","responseTopic":"{{victim}}"}"""));

        await Deadline.UntilAsync(() => Task.FromResult(env.Logs.Count(LogEvents.RequestResponseTopicRefused) == 5), "each refusal logged once");
        // Nothing was published over the victim: a fresh subscriber still sees the gateway's props.
        var late = await env.ConnectRawAsync();
        await late.SubscribeAsync(victim);
        (await late.NextAsync(m => m.Topic == victim)).Payload.Should().Equal(before.Payload);
    }

    [Fact]
    public async Task Options_in_the_body_cannot_redirect_a_device_request_to_another_device()
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var reply = await raw.RequestAsync(WriteTopic, """{"key":"setpoint","text":"31","device":"dev-0002"}"""u8.ToArray());
        reply.UserProperty(Wire.StatusProperty).Should().Be("ok");
        ((SimulatedDevice)env.Station.FindDevice("dev-0001")!).AppliedWrites.Should().Be(1);
        ((SimulatedDevice)env.Station.FindDevice("dev-0002")!).AppliedWrites.Should().Be(0);
    }

    [Theory]
    [InlineData("dev-0001%2F..%2Fdev-0002", "UNKNOWN_DEVICE")] // one level, unescaped to an id no device has
    [InlineData("dev-000%31", "BAD_REQUEST")]                  // '1' escaped: not a spelling any id escapes to
    [InlineData("%2E%2E", "BAD_REQUEST")]
    [InlineData("dev-0001%2f..%2fdev-0002", "BAD_REQUEST")]    // lower-case hex: topics.md allows only upper-case
    public async Task Escaped_topics_that_try_to_reach_another_device_are_refused(string level, string code)
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var reply = await raw.RequestAsync($"iot/v1/stations/sim-1/devices/{level}/requests/WRITE_VALUE", """{"key":"setpoint","text":"31"}"""u8.ToArray());
        reply.UserProperty(Wire.ErrorCodeProperty).Should().Be(code);
        env.Station.AllDevices.Sum(d => d.AppliedWrites).Should().Be(0);
    }

    [Fact]
    public async Task Extra_topic_levels_reach_nobody()
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var result = await raw.PublishAsync("iot/v1/stations/sim-1/devices/dev-0001/requests/WRITE_VALUE/extra",
            """{"key":"setpoint","text":"31"}"""u8.ToArray(), responseTopic: raw.ReplyTopic, correlation: [7]);
        // The embedded broker says nobody subscribes; Mosquitto's ACL refuses the topic before that.
        result.ReasonCode.Should().BeOneOf(MQTTnet.MqttClientPublishReasonCode.NoMatchingSubscribers, MQTTnet.MqttClientPublishReasonCode.NotAuthorized);
        env.Station.AllDevices.Sum(d => d.AppliedWrites).Should().Be(0);
    }
}
