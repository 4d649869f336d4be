using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MqttIoT.Broker;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// The embedded broker keeps persistent sessions (subscriptions and unacknowledged QoS 1 messages) in its data
/// folder across restarts. A crash is taken as a copy of the folder made while the broker runs: the files as they
/// are at that instant are what a kill -9 leaves (the OS keeps what was written). FaultTests kills a real broker process.
/// </summary>
public sealed class BrokerSessionStoreTests : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mqttiot-sessions-").FullName;
    private readonly CapturingLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggers;
    private readonly List<IAsyncDisposable> _owned = [];

    public BrokerSessionStoreTests()
    {
        _loggers = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Information));
    }

    [Fact]
    public async Task After_a_crash_a_persistent_session_is_back_with_its_subscriptions_and_every_message_it_had_not_acknowledged()
    {
        var first = await StartBrokerAsync("a");
        var subscriber = await ConnectAsync(first, "sub", cleanStart: true, expiry: 300);
        (await subscriber.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("t/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("$share/g/u/#", MqttQualityOfServiceLevel.AtLeastOnce).Build())).Items.Should().OnlyContain(i => (int)i.ResultCode <= 2);
        await subscriber.Client.DisconnectAsync();

        var publisher = await ConnectAsync(first, "pub", cleanStart: true, expiry: 0);
        for (var i = 0; i < 50; i++)
            (await publisher.Client.PublishStringAsync("t/1", $"a{i}", MqttQualityOfServiceLevel.AtLeastOnce)).ReasonCode.Should().Be(MqttClientPublishReasonCode.Success);
        (await publisher.Client.PublishStringAsync("u/1", "shared", MqttQualityOfServiceLevel.AtLeastOnce)).ReasonCode.Should().Be(MqttClientPublishReasonCode.Success);
        first.StoredUnacknowledgedMessages.Should().Be(51);

        // The crash: what is on disk now, with the broker still running.
        var crashed = CopyData("a", "b");
        var second = await StartBrokerAsync("b", crashed);
        second.StoredSessions.Should().Be(1, "the publisher's session was not persistent");

        // Published before the subscriber is back: its restored subscription catches it.
        var publisher2 = await ConnectAsync(second, "pub", cleanStart: true, expiry: 0);
        for (var i = 0; i < 10; i++)
            (await publisher2.Client.PublishStringAsync("t/2", $"b{i}", MqttQualityOfServiceLevel.AtLeastOnce)).ReasonCode.Should().Be(MqttClientPublishReasonCode.Success);

        var back = await ConnectAsync(second, "sub", cleanStart: false, expiry: 300);
        back.Connected.IsSessionPresent.Should().BeTrue();
        var got = await back.TakeAsync(61);
        got.Select(m => m.Payload).Should().Equal([.. Enumerable.Range(0, 50).Select(i => $"a{i}"), "shared", .. Enumerable.Range(0, 10).Select(i => $"b{i}")],
            "everything the broker acknowledged arrives once, in order");
        got.Should().OnlyContain(m => m.QoS == MqttQualityOfServiceLevel.AtLeastOnce);
        await Deadline.UntilAsync(() => Task.FromResult(second.StoredUnacknowledgedMessages == 0), "the acknowledgements are recorded", TimeSpan.FromSeconds(10));
        _logs.Count(LogEvents.BrokerSessionsRestored, e => e.Value("Sessions") == "1" && e.Value("Messages") == "51").Should().Be(1);
    }

    [Fact]
    public async Task A_message_the_subscriber_acknowledged_is_not_sent_again_after_a_restart()
    {
        var first = await StartBrokerAsync("a");
        var subscriber = await ConnectAsync(first, "sub", cleanStart: true, expiry: 300);
        await subscriber.Client.SubscribeAsync("t/#", MqttQualityOfServiceLevel.AtLeastOnce);
        var publisher = await ConnectAsync(first, "pub", cleanStart: true, expiry: 0);
        for (var i = 0; i < 20; i++) await publisher.Client.PublishStringAsync("t/1", $"a{i}", MqttQualityOfServiceLevel.AtLeastOnce);
        (await subscriber.TakeAsync(20)).Should().HaveCount(20);
        await Deadline.UntilAsync(() => Task.FromResult(first.StoredUnacknowledgedMessages == 0), "the acknowledgements are recorded", TimeSpan.FromSeconds(10));
        await first.StopAsync(Deadline.Token()); // a clean stop this time

        var second = await StartBrokerAsync("a");
        var back = await ConnectAsync(second, "sub", cleanStart: false, expiry: 300);
        back.Connected.IsSessionPresent.Should().BeTrue();
        var publisher2 = await ConnectAsync(second, "pub", cleanStart: true, expiry: 0);
        await publisher2.Client.PublishStringAsync("t/1", "after", MqttQualityOfServiceLevel.AtLeastOnce);
        (await back.TakeAsync(1)).Single().Payload.Should().Be("after", "the 20 acknowledged before the restart are not sent again");
    }

    [Fact]
    public async Task A_clean_start_discards_a_stored_session_and_one_that_expired_while_the_broker_was_down_is_gone()
    {
        var first = await StartBrokerAsync("a");
        foreach (var (id, expiry) in new[] { ("short", 5u), ("long", 3600u), ("clean", 3600u) })
        {
            var c = await ConnectAsync(first, id, cleanStart: true, expiry: expiry);
            await c.Client.SubscribeAsync($"t/{id}", MqttQualityOfServiceLevel.AtLeastOnce);
            await c.Client.DisconnectAsync();
        }
        var publisher = await ConnectAsync(first, "pub", cleanStart: true, expiry: 0);
        foreach (var id in new[] { "short", "long", "clean" }) await publisher.Client.PublishStringAsync($"t/{id}", id, MqttQualityOfServiceLevel.AtLeastOnce);
        var crashed = CopyData("a", "b");

        // The broker comes back a minute later: "short" (5 s) has expired meanwhile, "long" has not.
        var second = await StartBrokerAsync("b", crashed, new ShiftedTime(TimeSpan.FromMinutes(1)));
        second.StoredSessions.Should().Be(2);
        _logs.Count(LogEvents.SessionExpiredWhileDown, e => e.Value("ClientId") == "short").Should().Be(1);

        var shortBack = await ConnectAsync(second, "short", cleanStart: false, expiry: 5);
        shortBack.Connected.IsSessionPresent.Should().BeFalse();
        var clean = await ConnectAsync(second, "clean", cleanStart: true, expiry: 3600);
        clean.Connected.IsSessionPresent.Should().BeFalse();
        var longBack = await ConnectAsync(second, "long", cleanStart: false, expiry: 3600);
        longBack.Connected.IsSessionPresent.Should().BeTrue();
        (await longBack.TakeAsync(1)).Single().Payload.Should().Be("long");

        var publisher2 = await ConnectAsync(second, "pub", cleanStart: true, expiry: 0);
        (await publisher2.Client.PublishStringAsync("t/clean", "x", MqttQualityOfServiceLevel.AtLeastOnce)).ReasonCode
            .Should().Be(MqttClientPublishReasonCode.NoMatchingSubscribers, "the clean start dropped the stored subscription");
        shortBack.Received.TryRead(out _).Should().BeFalse();
        clean.Received.TryRead(out _).Should().BeFalse();
    }

    [Fact]
    public async Task A_torn_last_record_is_dropped_with_one_warning_and_the_records_before_it_are_restored()
    {
        var first = await StartBrokerAsync("a");
        var subscriber = await ConnectAsync(first, "sub", cleanStart: true, expiry: 300);
        await subscriber.Client.SubscribeAsync("t/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await subscriber.Client.DisconnectAsync();
        var publisher = await ConnectAsync(first, "pub", cleanStart: true, expiry: 0);
        await publisher.Client.PublishStringAsync("t/1", "kept", MqttQualityOfServiceLevel.AtLeastOnce);
        var crashed = CopyData("a", "b");
        // A write the process did not finish: the start of a record, then nothing.
        await using (var log = File.Open(Path.Combine(crashed, "sessions.log"), FileMode.Append)) log.Write([200, 0, 0, 0, 6, 3, 0x73]);

        var second = await StartBrokerAsync("b", crashed);
        _logs.Count(LogEvents.SessionLogTornTail, e => e.Value("Bytes") == "7").Should().Be(1);
        var back = await ConnectAsync(second, "sub", cleanStart: false, expiry: 300);
        back.Connected.IsSessionPresent.Should().BeTrue();
        (await back.TakeAsync(1)).Single().Payload.Should().Be("kept");
    }

    [Fact]
    public async Task A_record_damaged_inside_the_log_stops_the_restore_there_and_the_file_is_kept_aside()
    {
        var first = await StartBrokerAsync("a");
        var subscriber = await ConnectAsync(first, "sub", cleanStart: true, expiry: 300);
        await subscriber.Client.SubscribeAsync("t/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await subscriber.Client.DisconnectAsync();
        var publisher = await ConnectAsync(first, "pub", cleanStart: true, expiry: 0);
        await publisher.Client.PublishStringAsync("t/1", "damaged", MqttQualityOfServiceLevel.AtLeastOnce);
        var crashed = CopyData("a", "b");
        // The last record (the message) is whole but one bit of its checksum is wrong: damage, not an unfinished write.
        var log = Path.Combine(crashed, "sessions.log");
        var bytes = await File.ReadAllBytesAsync(log);
        bytes[^1] ^= 0x01;
        await File.WriteAllBytesAsync(log, bytes);

        var second = await StartBrokerAsync("b", crashed);
        _logs.Count(LogEvents.SessionLogUnreadable, e => e.Value("Why").StartsWith("damaged after", StringComparison.Ordinal)).Should().Be(1);
        File.ReadAllBytes(log + ".bad").Should().Equal(bytes, "the damaged file is kept as it was");
        second.StoredSessions.Should().Be(1);
        second.StoredUnacknowledgedMessages.Should().Be(0, "the damaged record is not trusted");
        var back = await ConnectAsync(second, "sub", cleanStart: false, expiry: 300);
        back.Connected.IsSessionPresent.Should().BeTrue("the records before the damage are restored");
        var publisher2 = await ConnectAsync(second, "pub", cleanStart: true, expiry: 0);
        await publisher2.Client.PublishStringAsync("t/2", "after", MqttQualityOfServiceLevel.AtLeastOnce);
        (await back.TakeAsync(1)).Single().Payload.Should().Be("after");
    }

    [Fact]
    public async Task A_subscribe_and_unsubscribe_sent_back_to_back_leave_no_subscription_after_a_restart()
    {
        var first = await StartBrokerAsync("a");
        var (wire, _) = await WireClient.ConnectAsync("127.0.0.1", first.Port, new WireConnect { ClientId = "wire", SessionExpiry = 300 });
        await using (wire)
        {
            // Both in one write: MQTTnet applies the UNSUBSCRIBE while the SUBACK is still queued.
            await wire.SendAsync([.. WirePackets.Subscribe(1, [new WireSubscription("t/#", 1, false, false, 0)]), .. WirePackets.Unsubscribe(2, "t/#")]);
            (await wire.ReceiveAsync()).Type.Should().Be(WireType.SubAck);
            (await wire.ReceiveAsync()).Type.Should().Be(WireType.UnsubAck);
            await wire.DisconnectAsync();
        }
        await first.StopAsync(Deadline.Token());

        var second = await StartBrokerAsync("a");
        var back = await ConnectAsync(second, "wire", cleanStart: false, expiry: 300);
        back.Connected.IsSessionPresent.Should().BeTrue();
        var publisher = await ConnectAsync(second, "pub", cleanStart: true, expiry: 0);
        (await publisher.Client.PublishStringAsync("t/1", "x", MqttQualityOfServiceLevel.AtLeastOnce)).ReasonCode
            .Should().Be(MqttClientPublishReasonCode.NoMatchingSubscribers, "the unsubscribe came last");
    }

    [Fact]
    public async Task A_file_that_is_not_a_session_log_is_reported_and_the_broker_starts_without_sessions()
    {
        var data = Path.Combine(_root, "garbage");
        Directory.CreateDirectory(data);
        await File.WriteAllBytesAsync(Path.Combine(data, "sessions.log"), Encoding.UTF8.GetBytes("not a session log at all"));
        var broker = await StartBrokerAsync("garbage", data);
        broker.StoredSessions.Should().Be(0);
        _logs.Count(LogEvents.SessionLogUnreadable, e => e.Value("Why") == "not a session log of this version").Should().Be(1);
        File.ReadAllText(Path.Combine(data, "sessions.log.bad")).Should().Be("not a session log at all", "what could not be read is kept for a person to look at");
        var client = await ConnectAsync(broker, "sub", cleanStart: false, expiry: 300);
        client.Connected.IsSessionPresent.Should().BeFalse();
    }

    private async Task<EmbeddedBroker> StartBrokerAsync(string name, string? data = null, TimeProvider? time = null)
    {
        var broker = new EmbeddedBroker(new BrokerOptions
        {
            Port = FreePort.Next(), BindAddress = IPAddress.Loopback, DataDirectory = data ?? Path.Combine(_root, name),
        }, _loggers.CreateLogger<EmbeddedBroker>(), time);
        await broker.StartAsync(Deadline.Token());
        _owned.Add(broker);
        return broker;
    }

    private string CopyData(string from, string to)
    {
        var source = Path.Combine(_root, from);
        var target = Path.Combine(_root, to);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }

    private async Task<Subscriber> ConnectAsync(EmbeddedBroker broker, string clientId, bool cleanStart, uint expiry)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var subscriber = new Subscriber(client);
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500).WithCleanStart(cleanStart).WithSessionExpiryInterval(expiry).Build();
        subscriber.Connected = await client.ConnectAsync(options, Deadline.Token());
        _owned.Add(subscriber);
        return subscriber;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
        _loggers.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly Channel<(string Payload, MqttQualityOfServiceLevel QoS)> _received = Channel.CreateUnbounded<(string, MqttQualityOfServiceLevel)>();

        public Subscriber(IMqttClient client)
        {
            Client = client;
            client.ApplicationMessageReceivedAsync += e =>
            {
                _received.Writer.TryWrite((e.ApplicationMessage.ConvertPayloadToString(), e.ApplicationMessage.QualityOfServiceLevel));
                return Task.CompletedTask;
            };
        }

        public IMqttClient Client { get; }

        public MqttClientConnectResult Connected { get; set; } = null!;

        public ChannelReader<(string Payload, MqttQualityOfServiceLevel QoS)> Received => _received.Reader;

        public async Task<List<(string Payload, MqttQualityOfServiceLevel QoS)>> TakeAsync(int count)
        {
            var got = new List<(string, MqttQualityOfServiceLevel)>();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (got.Count < count) got.Add(await _received.Reader.ReadAsync(deadline.Token));
            return got;
        }

        public async ValueTask DisposeAsync()
        {
            if (Client.IsConnected) await Client.DisconnectAsync();
            Client.Dispose();
        }
    }

    /// <summary>The system clock, later by <paramref name="shift"/>: a broker that comes back after a while.</summary>
    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
