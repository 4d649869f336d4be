using Microsoft.Extensions.Logging;
using MQTTnet;
using MqttIoT.Protocol;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>The embedded broker's MQTT v5 shared subscriptions (MQTTnet.Server refuses them; the broker adds them).</summary>
public class BrokerSharedSubscriptionTests
{
    private const string Shared = "$share/workers/jobs/+";

    [Fact]
    public async Task Each_message_goes_to_exactly_one_member_of_the_group_and_the_group_shares_the_load()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, openEmbeddedBroker: true);
        var a = await env.ConnectRawAsync();
        var b = await env.ConnectRawAsync();
        var plain = await env.ConnectRawAsync();
        var publisher = await env.ConnectRawAsync();
        await a.SubscribeAsync(Shared);
        await b.SubscribeAsync(Shared);
        await plain.SubscribeAsync("jobs/+");

        const int count = 40;
        for (var i = 0; i < count; i++)
            (await publisher.PublishAsync($"jobs/{i}", [(byte)i])).ReasonCode.Should().Be(MqttClientPublishReasonCode.Success);

        var everything = await Drain(plain, count);
        everything.Should().HaveCount(count, "a plain subscriber to the same filter still gets every message");
        var toA = await DrainAvailable(a);
        var toB = await DrainAvailable(b);
        (toA.Count + toB.Count).Should().Be(count, "each message is delivered to the group once");
        toA.Select(m => m.Topic).Should().NotIntersectWith(toB.Select(m => m.Topic));
        toA.Count.Should().BeCloseTo(count / 2, 2, "round robin over two members");
    }

    [Fact]
    public async Task With_no_member_the_publisher_gets_no_matching_subscribers_and_a_member_that_leaves_gets_nothing_more()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, openEmbeddedBroker: true);
        var publisher = await env.ConnectRawAsync();
        (await publisher.PublishAsync("jobs/1", [1])).ReasonCode.Should().Be(MqttClientPublishReasonCode.NoMatchingSubscribers);

        var a = await env.ConnectRawAsync();
        var b = await env.ConnectRawAsync();
        await a.SubscribeAsync(Shared);
        await b.SubscribeAsync(Shared);
        await b.DisposeAsync();
        for (var i = 0; i < 10; i++)
            (await publisher.PublishAsync($"jobs/{i}", [1])).ReasonCode.Should().Be(MqttClientPublishReasonCode.Success);
        (await Drain(a, 10)).Should().HaveCount(10, "the remaining member takes every message");

        await using var c = new MqttSession(new MqttSessionOptions { Port = env.Port }, env.LoggerFactory.CreateLogger<MqttSession>());
        await c.StartAsync(Deadline.Token());
        await c.SubscribeAsync([Shared], Deadline.Token());
        await a.DisposeAsync();
        await c.UnsubscribeAsync([Shared], Deadline.Token());
        (await publisher.PublishAsync("jobs/x", [1])).ReasonCode.Should().Be(MqttClientPublishReasonCode.NoMatchingSubscribers,
            "the last member unsubscribed");
    }

    [Fact]
    public async Task Retained_messages_are_not_replayed_to_a_shared_subscription()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, openEmbeddedBroker: true);
        var publisher = await env.ConnectRawAsync();
        await publisher.PublishAsync("jobs/retained", [1], retain: true);
        var a = await env.ConnectRawAsync();
        await a.SubscribeAsync(Shared);
        await publisher.PublishAsync("jobs/live", [2]);
        (await a.NextAsync(_ => true)).Topic.Should().Be("jobs/live", "the retained message came before and must not be delivered");
    }

    private static async Task<List<ReceivedMessage>> Drain(RawClient client, int count)
    {
        var list = new List<ReceivedMessage>();
        while (list.Count < count) list.Add(await client.NextAsync(_ => true));
        return list;
    }

    /// <summary>What a member got, once a marker sent after everything else has arrived on the plain path of the same session.</summary>
    private static async Task<List<ReceivedMessage>> DrainAvailable(RawClient client)
    {
        await client.SubscribeAsync("marker/" + client.ReplyTopic);
        await client.PublishAsync("marker/" + client.ReplyTopic, [0]);
        var list = new List<ReceivedMessage>();
        while (true)
        {
            var m = await client.NextAsync(_ => true);
            if (m.Topic.StartsWith("marker/", StringComparison.Ordinal)) return list;
            list.Add(m);
        }
    }
}
