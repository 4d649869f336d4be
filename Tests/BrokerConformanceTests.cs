using System.Diagnostics;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// The MQTT v5 behaviours third-party clients and tools rely on, each checked from a raw client on the wire
/// (OASIS mqtt-v5.0 section numbers in the names' comments). They talk only to a host and port, so the same
/// tests run against the embedded broker (default) or Mosquitto (MQTTIOT_CONFORMANCE_PORT); see Broker/README.md.
/// Where something must NOT arrive, a later marker message on the same connection shows it did not.
/// </summary>
public sealed class BrokerConformanceTests : IAsyncLifetime
{
    private ConformanceTarget _broker = null!;

    public async Task InitializeAsync() => _broker = await ConformanceTarget.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    // ---- 3.1.2.11.2 / 4.1 Session expiry, 3.1.4 session takeover ----

    [Fact]
    public async Task Session_with_an_expiry_keeps_subscriptions_and_queues_messages_while_offline()
    {
        var topic = _broker.Topic("t");
        var id = _broker.ClientId("sub");
        var (sub, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = id, SessionExpiry = 60 });
        ack.SessionPresent.Should().BeFalse();
        await sub.SubscribeAsync(topic);
        await sub.DisconnectAsync();

        var pub = await _broker.ConnectAsync("pub");
        await pub.PublishAsync(topic, "queued");

        var (again, ack2) = await _broker.ConnectAsync(new WireConnect { ClientId = id, CleanStart = false, SessionExpiry = 60 });
        ack2.SessionPresent.Should().BeTrue("the session outlives the connection for 60 s");
        (await again.ReceivePublishAsync()).PayloadText.Should().Be("queued");
        await EndSessionAsync(again, id);
    }

    [Fact]
    public async Task Session_without_an_expiry_ends_with_the_connection()
    {
        var topic = _broker.Topic("t");
        var marker = _broker.Topic("marker");
        var id = _broker.ClientId("sub");
        var (sub, _) = await _broker.ConnectAsync(new WireConnect { ClientId = id });
        await sub.SubscribeAsync(topic);
        await sub.DisconnectAsync();

        var pub = await _broker.ConnectAsync("pub");
        await pub.PublishAsync(topic, "nobody-is-subscribed");

        var (again, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = id, CleanStart = false, SessionExpiry = 60 });
        ack.SessionPresent.Should().BeFalse("Session Expiry Interval 0 ends the session when the connection closes");
        await again.SubscribeAsync(marker);
        await pub.PublishAsync(marker, "marker");
        (await again.ReceiveUntilAsync(marker)).Should().BeEmpty("the ended session neither kept the subscription nor queued");
        await EndSessionAsync(again, id);
    }

    [Fact]
    public async Task Session_ends_when_its_expiry_elapses_and_publishes_a_will_delayed_for_longer()
    {
        var willTopic = _broker.Topic("will");
        var id = _broker.ClientId("dies");
        var watcher = await _broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync(willTopic);
        var (dying, _) = await _broker.ConnectAsync(new WireConnect
        {
            ClientId = id, SessionExpiry = 1, Will = new WireWill(willTopic, "session-ended", DelayInterval: 3600),
        });
        await dying.SubscribeAsync(_broker.Topic("t"));
        var clock = Stopwatch.StartNew();
        dying.Abort();

        // 3.1.2.5: the will goes out when the will delay elapses or the session ends, whichever is first.
        var will = await watcher.ReceivePublishAsync(TimeSpan.FromSeconds(10));
        will.PayloadText.Should().Be("session-ended");
        clock.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(0.8), "the session lasts its 1 s expiry");
        var (again, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = id, CleanStart = false });
        ack.SessionPresent.Should().BeFalse("the session expired");
        await again.DisconnectAsync();
    }

    [Fact]
    public async Task Session_takeover_disconnects_the_old_connection_with_0x8E_and_keeps_the_session()
    {
        var topic = _broker.Topic("t");
        var id = _broker.ClientId("twice");
        var (first, _) = await _broker.ConnectAsync(new WireConnect { ClientId = id, SessionExpiry = 60 });
        await first.SubscribeAsync(topic);

        var (second, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = id, CleanStart = false, SessionExpiry = 60 });
        ack.SessionPresent.Should().BeTrue();
        var lastWords = await first.WaitClosedAsync();
        lastWords.Should().ContainSingle(p => p.Type == WireType.Disconnect).Which.ReasonCode.Should().Be(0x8E, "3.14.2.1 Session taken over");

        var pub = await _broker.ConnectAsync("pub");
        await pub.PublishAsync(topic, "to-the-new-connection");
        (await second.ReceivePublishAsync()).PayloadText.Should().Be("to-the-new-connection");
        await EndSessionAsync(second, id);
    }

    [Fact]
    public async Task Session_takeover_publishes_the_old_connections_will()
    {
        var willTopic = _broker.Topic("will");
        var id = _broker.ClientId("twice");
        var watcher = await _broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync(willTopic);
        var (first, _) = await _broker.ConnectAsync(new WireConnect { ClientId = id, Will = new WireWill(willTopic, "taken-over") });

        // 3.1.4-3: the existing connection is closed and its will published as in 3.1.2.5 (no will delay here).
        var (second, _) = await _broker.ConnectAsync(new WireConnect { ClientId = id });
        await first.WaitClosedAsync();
        (await watcher.ReceivePublishAsync()).PayloadText.Should().Be("taken-over");
        await second.DisconnectAsync();
    }

    // ---- 3.3.2.3.3 Message expiry ----

    [Fact]
    public async Task Message_expiry_drops_queued_messages_that_expired_and_counts_down_the_rest()
    {
        var topic = _broker.Topic("t");
        var probe = _broker.Topic("probe");
        var id = _broker.ClientId("offline");
        var (sub, _) = await _broker.ConnectAsync(new WireConnect { ClientId = id, SessionExpiry = 60 });
        await sub.SubscribeAsync(topic);
        await sub.DisconnectAsync();

        var pub = await _broker.ConnectAsync("pub");
        var clock = Stopwatch.StartNew();
        await pub.PublishAsync(topic, "short-lived", properties: [(WireProp.MessageExpiry, 1u)]);
        await pub.PublishAsync(topic, "long-lived", properties: [(WireProp.MessageExpiry, 600u)]);
        await pub.PublishAsync(topic, "forever");
        await pub.PublishAsync(probe, "probe", retain: true, properties: [(WireProp.MessageExpiry, 1u)]);
        // The broker's own view of the second having passed (the probe is gone), and ours.
        await Deadline.UntilAsync(async () => clock.Elapsed > TimeSpan.FromSeconds(1.05) && await RetainedOnAsync(probe) is null,
            "the 1 s retained probe expired");

        var (again, _) = await _broker.ConnectAsync(new WireConnect { ClientId = id, CleanStart = false, SessionExpiry = 60 });
        var first = await again.ReceivePublishAsync();
        first.PayloadText.Should().Be("long-lived", "the message with a 1 s expiry was not delivered within it [MQTT-3.3.2-5]");
        first.UInt32Property(WireProp.MessageExpiry).Should().BeInRange(1u, 599u, "the expiry counts down while queued [MQTT-3.3.2-6]");
        var second = await again.ReceivePublishAsync();
        second.PayloadText.Should().Be("forever");
        second.UInt32Property(WireProp.MessageExpiry).Should().BeNull("a message without expiry keeps none");
        await EndSessionAsync(again, id);
    }

    [Fact]
    public async Task Message_expiry_removes_a_retained_message_when_it_expires()
    {
        var shortLived = _broker.Topic("short");
        var kept = _broker.Topic("kept");
        var pub = await _broker.ConnectAsync("pub");
        await pub.PublishAsync(shortLived, "short", retain: true, properties: [(WireProp.MessageExpiry, 1u)]);
        await pub.PublishAsync(kept, "kept", retain: true);

        var early = await RetainedOnAsync(shortLived);
        early.Should().NotBeNull();
        early!.UInt32Property(WireProp.MessageExpiry).Should().BeInRange(0u, 1u);
        await Deadline.UntilAsync(async () => await RetainedOnAsync(shortLived) is null, "the retained message expired", TimeSpan.FromSeconds(5));
        (await RetainedOnAsync(kept)).Should().NotBeNull("a retained message without expiry stays");
        await pub.PublishAsync(kept, "", retain: true);
    }

    // ---- 3.1.2.5 / 3.1.3.2 Will messages and will delay ----

    [Fact]
    public async Task Will_is_published_when_the_connection_drops_without_DISCONNECT()
    {
        var willTopic = _broker.Topic("will");
        var watcher = await _broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync(willTopic);
        var (dying, _) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("dying"), Will = new WireWill(willTopic, "dropped") });
        dying.Abort();
        (await watcher.ReceivePublishAsync()).PayloadText.Should().Be("dropped");
    }

    [Fact]
    public async Task Will_is_discarded_on_a_normal_DISCONNECT_and_published_on_reason_0x04()
    {
        var willTopic = _broker.Topic("will");
        var marker = _broker.Topic("marker");
        var watcher = await _broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync(willTopic);
        await watcher.SubscribeAsync(marker);

        var (polite, _) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("polite"), Will = new WireWill(willTopic, "polite") });
        await polite.DisconnectAsync(0x00);
        var (withWill, _) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("with-will"), Will = new WireWill(willTopic, "asked-for") });
        await withWill.DisconnectAsync(0x04);

        (await watcher.ReceivePublishAsync()).PayloadText.Should().Be("asked-for", "0x00 discards the will, 0x04 publishes it");
        await watcher.PublishAsync(marker, "marker");
        (await watcher.ReceiveUntilAsync(marker)).Should().BeEmpty();
    }

    [Fact]
    public async Task Will_delay_holds_the_will_until_the_delay_elapses()
    {
        var willTopic = _broker.Topic("will");
        var watcher = await _broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync(willTopic);
        var (dying, _) = await _broker.ConnectAsync(new WireConnect
        {
            ClientId = _broker.ClientId("dying"), SessionExpiry = 60, Will = new WireWill(willTopic, "late", DelayInterval: 2),
        });
        var clock = Stopwatch.StartNew();
        dying.Abort();
        (await watcher.ReceivePublishAsync()).PayloadText.Should().Be("late");
        clock.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(1.8), "the will waits its 2 s delay");
        await EndSessionAsync(null, _broker.ClientId("dying"));
    }

    [Fact]
    public async Task Will_delay_lets_a_client_that_reconnects_in_time_cancel_its_will()
    {
        var willTopic = _broker.Topic("will");
        var sentinelTopic = _broker.Topic("sentinel");
        var watcher = await _broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync(willTopic);
        await watcher.SubscribeAsync(sentinelTopic);
        var id = _broker.ClientId("flaky");
        var (flaky, _) = await _broker.ConnectAsync(new WireConnect
        {
            ClientId = id, SessionExpiry = 60, Will = new WireWill(willTopic, "should-not-be-sent", DelayInterval: 2),
        });
        // A second client whose will is due a second after the first one's shows when the first would have come.
        var (sentinel, _) = await _broker.ConnectAsync(new WireConnect
        {
            ClientId = _broker.ClientId("sentinel"), Will = new WireWill(sentinelTopic, "sentinel", DelayInterval: 3), SessionExpiry = 60,
        });
        flaky.Abort();
        sentinel.Abort();
        var (back, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = id, CleanStart = false, SessionExpiry = 60 });
        ack.SessionPresent.Should().BeTrue();

        (await watcher.ReceiveUntilAsync(sentinelTopic, TimeSpan.FromSeconds(10))).Should().BeEmpty("reconnecting within the will delay cancels the will");
        await EndSessionAsync(back, id);
        await EndSessionAsync(null, _broker.ClientId("sentinel"));
    }

    // ---- 3.1.3.1 / 3.2.2.3.7 Server-assigned client identifiers ----

    [Fact]
    public async Task Empty_client_id_gets_a_unique_server_assigned_identifier()
    {
        var (a, ackA) = await _broker.ConnectAsync(new WireConnect { ClientId = "" });
        var (b, ackB) = await _broker.ConnectAsync(new WireConnect { ClientId = "" });
        var idA = ackA.StringProperty(WireProp.AssignedClientId);
        var idB = ackB.StringProperty(WireProp.AssignedClientId);
        idA.Should().NotBeNullOrEmpty("[MQTT-3.2.2-16] the CONNACK carries the Assigned Client Identifier");
        idB.Should().NotBeNullOrEmpty().And.NotBe(idA);

        // Both connections stay usable: neither took the other over.
        var topic = _broker.Topic("t");
        await a.SubscribeAsync(topic);
        await b.PublishAsync(topic, "hello");
        (await a.ReceivePublishAsync()).PayloadText.Should().Be("hello");
    }

    // ---- 3.1.2.11.4 Maximum packet size ----

    [Fact]
    public async Task Maximum_packet_size_of_the_client_is_never_exceeded()
    {
        var topic = _broker.Topic("t");
        var (small, _) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("small"), MaximumPacketSize = 256 });
        await small.SubscribeAsync(topic);
        var pub = await _broker.ConnectAsync("pub");
        await pub.PublishAsync(topic, new string('x', 1000));
        await pub.PublishAsync(topic, "fits");
        await small.SubscribeAsync(_broker.Topic("marker"));
        await pub.PublishAsync(_broker.Topic("marker"), "marker");

        var received = await small.ReceiveUntilAsync(_broker.Topic("marker"));
        received.Select(p => p.PayloadText).Should().Equal(["fits"], "[MQTT-3.1.2-25] a packet over 256 bytes is discarded, not sent");
        (await small.PingAsync()).Should().BeEmpty();
    }

    // ---- 3.3.2.3.4 Topic aliases ----

    [Fact]
    public async Task Topic_alias_from_the_client_is_resolved_by_the_broker()
    {
        var topic = _broker.Topic("aliased");
        var sub = await _broker.ConnectAsync("sub");
        await sub.SubscribeAsync(topic);
        var (pub, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("pub") });
        ack.UInt16Property(WireProp.TopicAliasMaximum).Should().BeGreaterThan(0, "the broker accepts topic aliases");

        await pub.PublishAsync(topic, "sets-alias", properties: [(WireProp.TopicAlias, (ushort)1)]);
        await pub.PublishAsync("", "uses-alias", properties: [(WireProp.TopicAlias, (ushort)1)]);

        var first = await sub.ReceivePublishAsync();
        var second = await sub.ReceivePublishAsync();
        (first.Topic, first.PayloadText).Should().Be((topic, "sets-alias"));
        (second.Topic, second.PayloadText).Should().Be((topic, "uses-alias"));
    }

    [Fact]
    public async Task Topic_alias_that_was_never_set_is_a_protocol_error()
    {
        var (pub, _) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("pub") });
        await pub.SendAsync(WirePackets.Publish("", "x"u8.ToArray(), qos: 1, packetId: 1, properties: [(WireProp.TopicAlias, (ushort)3)]));
        var lastWords = await pub.WaitClosedAsync();
        lastWords.Should().NotContain(p => p.Type == WireType.PubAck && p.ReasonCode < 0x80, "the PUBLISH has no topic");
        lastWords.Where(p => p.Type == WireType.Disconnect).Select(p => p.ReasonCode).Should().Equal([(byte)0x82], "3.3.4: Protocol Error");
    }

    [Fact]
    public async Task Topic_aliases_to_the_client_are_set_once_then_used_alone_within_its_maximum()
    {
        var topics = new[] { _broker.Topic("a"), _broker.Topic("b"), _broker.Topic("c") };
        var (aliasing, _) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("aliasing"), TopicAliasMaximum = 2 });
        var (none, _) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("zero"), TopicAliasMaximum = 0 });
        var unannounced = await _broker.ConnectAsync("unannounced");
        foreach (var c in new[] { aliasing, none, unannounced }) await c.SubscribeAsync(_broker.Topic("+"));
        var pub = await _broker.ConnectAsync("pub");
        var sent = Enumerable.Range(0, 3).SelectMany(_ => topics).ToList();
        foreach (var t in sent) await pub.PublishAsync(t, "m");

        // The client's side of 3.3.2.3.4: an alias with a topic sets it, an alias with an empty topic uses it.
        var aliases = new Dictionary<ushort, string>();
        var received = new List<WirePacket>();
        foreach (var expected in sent)
        {
            var p = await aliasing.ReceivePublishAsync();
            received.Add(p);
            if (p.UInt16Property(WireProp.TopicAlias) is { } a)
            {
                a.Should().BeInRange((ushort)1, (ushort)2, "[MQTT-3.3.2-9] within the client's Topic Alias Maximum");
                if (p.Topic.Length > 0) aliases[a] = p.Topic;
                aliases.Should().ContainKey(a, "[MQTT-3.3.2-8] an alias is set with its topic before it is used alone");
            }
            (p.Topic.Length > 0 ? p.Topic : aliases[p.UInt16Property(WireProp.TopicAlias)!.Value]).Should().Be(expected,
                "the topic the client reconstructs is the one published");
        }
        var firstOfA = received[0];
        var secondOfA = received[topics.Length];
        firstOfA.Topic.Should().Be(topics[0]);
        firstOfA.UInt16Property(WireProp.TopicAlias).Should().NotBeNull("the first message on a topic sets an alias");
        secondOfA.Topic.Should().BeEmpty("the second message on that topic uses the alias alone");
        secondOfA.UInt16Property(WireProp.TopicAlias).Should().Be(firstOfA.UInt16Property(WireProp.TopicAlias));
        received.Count(p => p.Topic.Length == 0).Should().BeGreaterThanOrEqualTo(4, "both aliases are used on the later rounds");

        foreach (var client in new[] { none, unannounced })
        {
            foreach (var expected in sent)
            {
                var p = await client.ReceivePublishAsync();
                p.UInt16Property(WireProp.TopicAlias).Should().BeNull("[MQTT-3.3.2-10] no aliases to a client whose Topic Alias Maximum is 0");
                p.Topic.Should().Be(expected);
            }
        }
    }

    // ---- 3.1.2.10 / 3.2.2.3.14 Keep alive ----

    [Fact]
    public async Task Keep_alive_is_answered_and_a_silent_client_is_disconnected_after_one_and_a_half_periods()
    {
        var (client, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("quiet"), KeepAlive = 1 });
        var keepAlive = TimeSpan.FromSeconds(ack.UInt16Property(WireProp.ServerKeepAlive) ?? 1);
        keepAlive.Should().BeLessThanOrEqualTo(TimeSpan.FromSeconds(5), "a server keep alive, if any, stays short for this test");
        (await client.PingAsync()).Should().BeEmpty("[MQTT-3.12.4-1] PINGREQ gets a PINGRESP");

        var clock = Stopwatch.StartNew();
        await client.WaitClosedAsync(TimeSpan.FromSeconds(10));
        clock.Elapsed.Should().BeGreaterThan(keepAlive * 0.9, "the client may stay silent for the keep alive period");
        clock.Elapsed.Should().BeLessThan(keepAlive * 1.5 + TimeSpan.FromSeconds(1.5), "[MQTT-3.1.2-22] the server closes after 1.5 periods");
    }

    [Fact]
    public async Task Keep_alive_of_0_gets_a_Server_Keep_Alive_from_the_broker()
    {
        var (_, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("no-keep-alive"), KeepAlive = 0 });
        ack.UInt16Property(WireProp.ServerKeepAlive).Should().NotBeNull("3.2.2.3.14: the broker sets a keep alive for a client that asks for none")
            .And.BeGreaterThan((ushort)0);
    }

    [Fact]
    public async Task Embedded_broker_replaces_a_keep_alive_of_0_or_over_its_maximum_and_enforces_it()
    {
        // A broker of its own: the maximum is a setting (BrokerOptions.MaxKeepAlive), short here to watch it work.
        await using var broker = await ConformanceTarget.StartEmbeddedAsync(o => o.MaxKeepAlive = TimeSpan.FromSeconds(2));
        var (zero, zeroAck) = await broker.ConnectAsync(new WireConnect { ClientId = broker.ClientId("zero"), KeepAlive = 0 });
        var (longer, longerAck) = await broker.ConnectAsync(new WireConnect { ClientId = broker.ClientId("longer"), KeepAlive = 600 });
        var (within, withinAck) = await broker.ConnectAsync(new WireConnect { ClientId = broker.ClientId("within"), KeepAlive = 1 });
        zeroAck.UInt16Property(WireProp.ServerKeepAlive).Should().Be(2, "a keep alive of 0 gets the broker's maximum");
        longerAck.UInt16Property(WireProp.ServerKeepAlive).Should().Be(2, "a keep alive over the maximum gets the maximum");
        withinAck.UInt16Property(WireProp.ServerKeepAlive).Should().BeNull("a keep alive within the maximum is kept");

        var clock = Stopwatch.StartNew();
        var closed = await Task.WhenAll(new[] { zero, longer }.Select(async c =>
        {
            await c.WaitClosedAsync(TimeSpan.FromSeconds(15));
            return clock.Elapsed;
        }));
        await within.WaitClosedAsync(TimeSpan.FromSeconds(15));
        closed.Should().OnlyContain(t => t > TimeSpan.FromSeconds(1.8) && t < TimeSpan.FromSeconds(3 + 2),
            "[MQTT-3.1.2-22] a silent client is closed after 1.5 times the Server Keep Alive it was given");
    }

    // ---- 3.3.4 / 4.9 Flow control ----

    [Fact]
    public async Task Receive_maximum_of_the_client_limits_unacknowledged_deliveries()
    {
        var topic = _broker.Topic("t");
        var (slow, _) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("slow"), ReceiveMaximum = 2 });
        slow.AutoAcknowledge = false;
        await slow.SubscribeAsync(topic);
        var pub = await _broker.ConnectAsync("pub");
        for (var i = 0; i < 5; i++) await pub.PublishAsync(topic, $"m{i}");

        var first = new[] { await slow.ReceivePublishAsync(), await slow.ReceivePublishAsync() };
        first.Select(p => p.PayloadText).Should().Equal("m0", "m1");
        (await slow.PingAsync()).Should().BeEmpty("[MQTT-3.3.4-9] no more than Receive Maximum QoS 1 PUBLISH unacknowledged");

        await slow.SendAsync(WirePackets.Ack(WireType.PubAck, first[0].PacketId));
        var third = await slow.ReceivePublishAsync();
        third.PayloadText.Should().Be("m2");
        (await slow.PingAsync()).Should().BeEmpty("one acknowledgement frees one slot");

        slow.AutoAcknowledge = true;
        await slow.SendAsync(WirePackets.Ack(WireType.PubAck, first[1].PacketId));
        await slow.SendAsync(WirePackets.Ack(WireType.PubAck, third.PacketId));
        (await slow.ReceivePublishAsync()).PayloadText.Should().Be("m3");
        (await slow.ReceivePublishAsync()).PayloadText.Should().Be("m4");
    }

    [Fact]
    public async Task Receive_maximum_of_the_broker_admits_that_many_unacknowledged_QoS2_publishes()
    {
        var topic = _broker.Topic("t");
        var sub = await _broker.ConnectAsync("sub");
        await sub.SubscribeAsync(topic, qos: 2);
        var (pub, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("pub") });
        var inFlight = Math.Min((int)(ack.UInt16Property(WireProp.ReceiveMaximum) ?? 65535), 10);

        var ids = Enumerable.Range(0, inFlight).Select(_ => pub.NextPacketId()).ToList();
        var recs = await Task.WhenAll(ids.Select((id, i) => pub.RequestAsync(WireType.PubRec, id, WirePackets.Publish(topic, [(byte)i], 2, id))));
        recs.Should().OnlyContain(r => r.ReasonCode < 0x80, "all are within the broker's Receive Maximum");
        var comps = await Task.WhenAll(ids.Select(id => pub.RequestAsync(WireType.PubComp, id, WirePackets.Ack(WireType.PubRel, id))));
        comps.Should().OnlyContain(c => c.ReasonCode == 0);
        for (var i = 0; i < inFlight; i++) (await sub.ReceivePublishAsync()).Payload.Should().Equal([(byte)i]);
    }

    [Fact]
    public async Task Receive_maximum_of_the_broker_is_announced_and_one_more_unacknowledged_publish_is_refused_with_0x93()
    {
        var topic = _broker.Topic("t");
        var (pub, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("greedy") });
        var announced = ack.UInt16Property(WireProp.ReceiveMaximum);
        announced.Should().NotBeNull("3.2.2.3.3: the broker announces its Receive Maximum").And.BeLessThan((ushort)1000, "small enough to reach here");

        // QoS 2 without PUBREL: each stays unacknowledged after its PUBREC until PUBCOMP [MQTT-3.3.4-7].
        var ids = Enumerable.Range(0, announced!.Value).Select(_ => pub.NextPacketId()).ToList();
        var recs = await Task.WhenAll(ids.Select(id => pub.RequestAsync(WireType.PubRec, id, WirePackets.Publish(topic, [1], 2, id))));
        recs.Should().OnlyContain(r => r.ReasonCode < 0x80, "as many as the Receive Maximum are accepted");
        await pub.SendAsync(WirePackets.Publish(topic, [2], 2, pub.NextPacketId()));
        var lastWords = await pub.WaitClosedAsync();
        lastWords.Where(p => p.Type == WireType.Disconnect).Select(p => p.ReasonCode).Should().Equal([(byte)0x93],
            "[MQTT-3.3.4-8] one more gets DISCONNECT Receive Maximum exceeded");
    }

    [Fact]
    public async Task Receive_maximum_of_the_broker_counts_only_unacknowledged_publishes()
    {
        var topic = _broker.Topic("t");
        var (pub, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("steady") });
        var announced = (int)(ack.UInt16Property(WireProp.ReceiveMaximum) ?? 65535);
        // Twice the maximum, in waves that each stay within it, QoS 1 and completed QoS 2 alike.
        for (var wave = 0; wave < 2; wave++)
        {
            var acks = await Task.WhenAll(Enumerable.Range(0, Math.Min(announced, 50)).Select(i => pub.PublishAsync(topic, [(byte)i], qos: 1 + i % 2)));
            acks.Should().OnlyContain(a => a != null && a.ReasonCode < 0x80);
        }
        (await pub.PingAsync()).Should().BeEmpty("the connection is still open");
    }

    // ---- 3.8.2.1.2 Subscription identifiers ----

    [Fact]
    public async Task Subscription_identifiers_come_back_with_every_matching_message()
    {
        var (sub, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("sub") });
        ack.ByteProperty(WireProp.SubscriptionIdsAvailable).Should().NotBe(0, "subscription identifiers are supported");
        await sub.SubscribeAsync(_broker.Topic("#"), subscriptionId: 7);
        await sub.SubscribeAsync(_broker.Topic("a"), subscriptionId: 9);
        await sub.SubscribeAsync(_broker.Topic("b"));
        var pub = await _broker.ConnectAsync("pub");
        await pub.PublishAsync(_broker.Topic("a"), "a");
        await pub.PublishAsync(_broker.Topic("b"), "b");
        await pub.PublishAsync(_broker.Topic("marker"), "marker");

        var received = await sub.ReceiveUntilAsync(_broker.Topic("marker"));
        // [MQTT-3.3.4-3..5]: one copy with all matching identifiers, or one copy per subscription with its own.
        received.Where(p => p.PayloadText == "a").SelectMany(p => p.SubscriptionIds).Should().BeEquivalentTo([7, 9]);
        received.Where(p => p.PayloadText == "b").SelectMany(p => p.SubscriptionIds).Should().BeEquivalentTo([7]);
    }

    // ---- 3.8.3.1 Retain handling and retain-as-published ----

    [Fact]
    public async Task Retain_handling_0_1_and_2_send_retained_messages_always_on_new_subscriptions_and_never()
    {
        var topic = _broker.Topic("retained");
        var pub = await _broker.ConnectAsync("pub");
        await pub.PublishAsync(topic, "state", retain: true);
        var sub = await _broker.ConnectAsync("sub");

        (await RetainedOnSubscribeAsync(sub, topic, 0)).Should().ContainSingle().Which.Retain.Should().BeTrue();
        (await RetainedOnSubscribeAsync(sub, topic, 0)).Should().ContainSingle("0 sends them on every SUBSCRIBE");
        (await RetainedOnSubscribeAsync(sub, topic, 1)).Should().BeEmpty("1 sends them only if the subscription is new");
        await sub.UnsubscribeAsync(topic);
        (await RetainedOnSubscribeAsync(sub, topic, 1)).Should().ContainSingle("the subscription is new again");
        await sub.UnsubscribeAsync(topic);
        (await RetainedOnSubscribeAsync(sub, topic, 2)).Should().BeEmpty("2 never sends them");
        await pub.PublishAsync(topic, "", retain: true);
    }

    [Fact]
    public async Task Retain_as_published_keeps_the_retain_flag_only_when_asked()
    {
        var topic = _broker.Topic("t");
        var keeps = await _broker.ConnectAsync("keeps");
        var clears = await _broker.ConnectAsync("clears");
        await keeps.SubscribeAsync(topic, retainAsPublished: true);
        await clears.SubscribeAsync(topic, retainAsPublished: false);
        var pub = await _broker.ConnectAsync("pub");
        await pub.PublishAsync(topic, "live", retain: true);

        (await keeps.ReceivePublishAsync()).Retain.Should().BeTrue("[MQTT-3.3.1-13] retain-as-published keeps the flag");
        (await clears.ReceivePublishAsync()).Retain.Should().BeFalse("[MQTT-3.3.1-12] otherwise a live message has it cleared");
        await pub.PublishAsync(topic, "", retain: true);
    }

    // ---- 3.8.3.1 No local ----

    [Fact]
    public async Task No_local_keeps_a_clients_own_messages_from_coming_back()
    {
        var topic = _broker.Topic("t");
        var self = await _broker.ConnectAsync("self");
        var echo = await _broker.ConnectAsync("echo");
        await self.SubscribeAsync(topic, noLocal: true);
        await echo.SubscribeAsync(topic, noLocal: false);
        var other = await _broker.ConnectAsync("other");

        await self.PublishAsync(topic, "own");
        await echo.PublishAsync(topic, "echo-own");
        await other.PublishAsync(topic, "other");

        (await self.ReceivePublishAsync()).PayloadText.Should().Be("echo-own", "[MQTT-3.8.3-3] its own message is not sent back");
        (await self.ReceivePublishAsync()).PayloadText.Should().Be("other");
        (await echo.ReceivePublishAsync()).PayloadText.Should().Be("own");
        (await echo.ReceivePublishAsync()).PayloadText.Should().Be("echo-own", "without no-local a client gets its own messages");
    }

    // ---- 4.8.2 Shared subscriptions ----

    [Fact]
    public async Task Shared_subscription_delivers_each_message_to_exactly_one_member_of_the_group()
    {
        var topic = _broker.Topic("work");
        var marker = _broker.Topic("marker");
        var (a, ack) = await _broker.ConnectAsync(new WireConnect { ClientId = _broker.ClientId("a") });
        ack.ByteProperty(WireProp.SharedAvailable).Should().NotBe(0, "shared subscriptions are supported");
        var b = await _broker.ConnectAsync("b");
        var everyone = await _broker.ConnectAsync("everyone");
        foreach (var member in new[] { a, b })
        {
            await member.SubscribeAsync($"$share/workers/{topic}");
            await member.SubscribeAsync(marker);
        }
        await everyone.SubscribeAsync(topic);
        await everyone.SubscribeAsync(marker);

        var pub = await _broker.ConnectAsync("pub");
        var sent = Enumerable.Range(0, 10).Select(i => $"job{i}").ToList();
        foreach (var job in sent) await pub.PublishAsync(topic, job);
        await pub.PublishAsync(marker, "marker");

        var toA = await a.ReceiveUntilAsync(marker);
        var toB = await b.ReceiveUntilAsync(marker);
        toA.Concat(toB).Select(p => p.PayloadText).Should().BeEquivalentTo(sent, "each message goes to one member of the group");
        toA.Concat(toB).Should().OnlyContain(p => p.Topic == topic, "the message keeps its topic, not the $share filter");
        (await everyone.ReceiveUntilAsync(marker)).Select(p => p.PayloadText).Should().Equal(sent, "a plain subscription gets them all");

        (await a.UnsubscribeAsync($"$share/workers/{topic}")).ReasonCodes.Should().Equal([(byte)0]);
        await pub.PublishAsync(topic, "only-b");
        (await b.ReceivePublishAsync()).PayloadText.Should().Be("only-b", "the group's remaining member gets everything");
    }

    [Fact]
    public async Task Shared_subscription_gets_no_retained_messages_on_subscribe()
    {
        var topic = _broker.Topic("retained");
        var marker = _broker.Topic("marker");
        var pub = await _broker.ConnectAsync("pub");
        await pub.PublishAsync(topic, "state", retain: true);
        var member = await _broker.ConnectAsync("member");
        await member.SubscribeAsync($"$share/g/{topic}");
        await member.SubscribeAsync(marker);
        await pub.PublishAsync(marker, "marker");
        (await member.ReceiveUntilAsync(marker)).Should().BeEmpty("3.3.1.3: retained messages are sent when a new non-shared subscription is made");
        await pub.PublishAsync(topic, "", retain: true);
    }

    // ---- 4.7.2 Topics beginning with $ ----

    [Fact]
    public async Task Wildcards_at_the_first_level_do_not_match_topics_beginning_with_a_dollar()
    {
        var unique = _broker.Prefix.Split('/')[1];
        var dollarTopic = $"$mqttiot/{unique}/x";
        var marker = _broker.Topic("marker");
        var wild = await _broker.ConnectAsync("wild");
        await wild.SubscribeAsync("#");
        await wild.SubscribeAsync($"+/{unique}/x");
        var explicitSub = await _broker.ConnectAsync("explicit");
        await explicitSub.SubscribeAsync("$mqttiot/#");

        var pub = await _broker.ConnectAsync("pub");
        var ack = await pub.PublishAsync(dollarTopic, "dollar");
        ack!.ReasonCode.Should().BeLessThan(0x80, "clients may publish to $ topics other than $SYS");
        await pub.PublishAsync(marker, "marker");

        (await explicitSub.ReceivePublishAsync()).Topic.Should().Be(dollarTopic, "a filter that starts with $ matches");
        (await wild.ReceiveUntilAsync(marker)).Should().NotContain(p => p.Topic == dollarTopic, "[MQTT-4.7.2-1] # and + at the first level skip $ topics");
    }

    // ---- helpers ----

    /// <summary>The retained message a fresh subscriber gets on <paramref name="topic"/>, or null.</summary>
    private async Task<WirePacket?> RetainedOnAsync(string topic)
    {
        await using var probe = await WireClient.OpenAsync(_broker.Host, _broker.Port);
        await probe.SendAsync(new WireConnect { ClientId = _broker.ClientId("probe-" + Guid.NewGuid().ToString("N")[..6]) }.Encode());
        (await probe.ReceiveAsync()).Type.Should().Be(WireType.ConnAck);
        var received = await RetainedOnSubscribeAsync(probe, topic, 0);
        await probe.DisconnectAsync();
        return received.SingleOrDefault();
    }

    /// <summary>Subscribes and returns the messages that arrive before a marker the client sends itself.</summary>
    private async Task<List<WirePacket>> RetainedOnSubscribeAsync(WireClient client, string topic, int retainHandling)
    {
        var marker = _broker.Topic("own-marker");
        await client.SubscribeAsync(marker);
        await client.SubscribeAsync(topic, retainHandling: retainHandling);
        await client.PublishAsync(marker, "marker");
        return await client.ReceiveUntilAsync(marker);
    }

    /// <summary>Ends a persistent session so a shared broker does not keep it: a clean start with no expiry, then DISCONNECT.</summary>
    private async Task EndSessionAsync(WireClient? current, string id)
    {
        if (current is not null) await current.DisposeAsync();
        var (c, _) = await _broker.ConnectAsync(new WireConnect { ClientId = id });
        await c.DisconnectAsync();
    }
}
