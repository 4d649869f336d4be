using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// MQTT v5 behaviours both brokers are held to, from a raw client on the wire: this class runs in both of test.sh's
/// suites, on the embedded broker and on an open Mosquitto of its own (<see cref="ConformanceTarget.StartForSuiteAsync"/>).
/// Each test was written from a case where the embedded broker differed from Mosquitto. Where something must NOT
/// arrive, a later message from the same publisher shows it did not.
/// </summary>
public sealed class BrokerProtocolTests : IAsyncLifetime
{
    private ConformanceTarget _broker = null!;

    public async Task InitializeAsync() => _broker = await ConformanceTarget.StartForSuiteAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    /// <summary>
    /// 3.10.4: an UNSUBSCRIBE takes effect before the broker handles what comes after it; a message published after the
    /// UNSUBSCRIBE reached the broker is not delivered on that filter, UNSUBACK or not. The case from the field: it
    /// went wrong only after a persistent-session exchange on the same broker (a client with Session Expiry 99999 on
    /// <c>+/+</c>, offline while QoS 0/1/2 messages were published, then resumed with Clean Start 0).
    /// </summary>
    [Fact]
    public async Task An_unsubscribe_takes_effect_at_once_after_a_persistent_session_exchange()
    {
        var level = _broker.ClientId("t");
        string[] topics = [$"{level}/a", $"{level}/b", $"{level}/c"];
        var offlineId = _broker.ClientId("offline");
        var (offline, _) = await _broker.ConnectAsync(new WireConnect { ClientId = offlineId, SessionExpiry = 99999 });
        await offline.SubscribeAsync("+/+", qos: 2);
        await offline.DisconnectAsync();
        var publisher = await _broker.ConnectAsync("publisher");
        await publisher.PublishAsync(topics[0], "qos0", qos: 0);
        await publisher.PublishAsync(topics[0], "qos1", qos: 1);
        await publisher.PublishAsync(topics[0], "qos2", qos: 2);
        await publisher.DisconnectAsync();
        var (resumed, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = offlineId, CleanStart = false, SessionExpiry = 99999 });
        ack.SessionPresent.Should().BeTrue();
        await Deadline.UntilAsync(async () => (await resumed.ReceivePublishAsync()).PayloadText == "qos2", "the queued QoS 2 message delivered");
        await resumed.DisconnectAsync();

        var subscriber = await _broker.ConnectAsync("subscriber");
        foreach (var topic in topics) await subscriber.SubscribeAsync(topic, qos: 2);
        var unsubscribed = subscriber.UnsubscribeAsync(topics[0]); // not awaited before the publishes
        var second = await _broker.ConnectAsync("second-publisher");
        foreach (var topic in topics) await second.PublishAsync(topic, "after-unsubscribe", qos: 1);

        var before = await subscriber.ReceiveUntilAsync(topics[2]);
        before.Select(p => p.Topic).Should().Equal([topics[1]], "the UNSUBSCRIBE reached the broker before the publisher connected");
        (await unsubscribed).ReasonCodes.Should().Equal([(byte)0x00]);
        await EndSessionAsync(offlineId);
    }

    /// <summary>
    /// 3.14.2.2.2: a client may change its Session Expiry Interval in DISCONNECT (unless it connected with 0); the
    /// session then lasts the new interval. A second client whose session of 3 s ends with a will (delayed for longer)
    /// shows when 3 s have passed: the first session, set to 5 s in DISCONNECT after connecting with 1 s, is still there.
    /// </summary>
    [Fact]
    public async Task A_session_expiry_interval_changed_in_disconnect_is_honoured()
    {
        var id = _broker.ClientId("changes-expiry");
        var sentinelTopic = _broker.Topic("sentinel");
        var watcher = await _broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync(sentinelTopic);
        var (client, _) = await _broker.ConnectAsync(new WireConnect { ClientId = id, SessionExpiry = 1 });
        await client.SubscribeAsync(_broker.Topic("t"));
        var (sentinel, _) = await _broker.ConnectAsync(new WireConnect
        {
            ClientId = _broker.ClientId("sentinel"), SessionExpiry = 3, Will = new WireWill(sentinelTopic, "3 s passed", DelayInterval: 3600),
        });
        await client.DisconnectAsync(sessionExpiry: 5);
        sentinel.Abort();

        (await watcher.ReceivePublishAsync(TimeSpan.FromSeconds(15))).PayloadText.Should().Be("3 s passed");
        var (again, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = id, CleanStart = false, SessionExpiry = 5 });
        ack.SessionPresent.Should().BeTrue("the DISCONNECT set the session's expiry to 5 s, and only about 3 s have passed");
        await again.DisposeAsync();
        await EndSessionAsync(id);
    }

    /// <summary>
    /// [MQTT-3.3.2-8]: a Topic Alias of 0 is not allowed; the embedded broker closes the connection with DISCONNECT
    /// 0x94 (Topic Alias invalid). Mosquitto 2.0.11 closes it too, calling it a Malformed Packet (0x81).
    /// </summary>
    [Fact]
    public async Task A_publish_with_topic_alias_0_gets_disconnect_0x94()
    {
        var client = await _broker.ConnectAsync("alias-zero");
        await client.SendAsync(WirePackets.Publish(_broker.Topic("t"), "x"u8.ToArray(), qos: 0, properties: [(WireProp.TopicAlias, (ushort)0)]));

        var lastWords = await client.WaitClosedAsync();
        lastWords.Should().ContainSingle(p => p.Type == WireType.Disconnect).Which.ReasonCode.Should().Be(TestEnvironment.UseMosquitto ? (byte)0x81 : (byte)0x94);
    }

    /// <summary>Ends a persistent session so that it does not outlive the test: a clean start with no expiry, then DISCONNECT.</summary>
    private async Task EndSessionAsync(string id)
    {
        var (c, _) = await _broker.ConnectAsync(new WireConnect { ClientId = id });
        await c.DisconnectAsync();
    }
}
