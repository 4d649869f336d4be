using MQTTnet;
using MqttIoT.Broker.Auth;
using MqttIoT.Sdk;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// Only the right clients get in, and each may do only what auth/acl grants its role. The same files drive both
/// brokers, and these tests run on both.
/// </summary>
public class AuthTests
{
    [Fact]
    public async Task Wrong_passwords_and_anonymous_clients_are_refused()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false);
        foreach (var (user, password) in new (string?, string?)[] { ("client", "wrong"), ("nobody", MosquittoBroker.Password), (null, null) })
        {
            var connect = () => IoTHubClient.ConnectAsync(new IoTHubClientOptions { Port = env.Port, Username = user, Password = password },
                env.LoggerFactory, cancellationToken: Deadline.Token());
            await connect.Should().ThrowAsync<Exception>($"user {user ?? "(anonymous)"} must not get in");
        }
        await using var ok = await env.ConnectClientAsync();
        ok.IsConnected.Should().BeTrue();
    }

    [Fact]
    public async Task A_gateway_may_publish_only_under_its_own_station_and_a_client_not_at_all_there()
    {
        await using var env = await TestEnvironment.StartAsync();
        env.AddUser("sim-2");
        var gateway = await RawClient.ConnectAsync(env.Port, env.LoggerFactory, "sim-1", MosquittoBroker.Password);
        await using var _ = gateway;
        var client = await env.ConnectRawAsync();

        (await gateway.PublishAsync("iot/v1/stations/sim-2/props", "{}"u8.ToArray(), retain: true)).ReasonCode
            .Should().Be(MqttClientPublishReasonCode.NotAuthorized, "sim-1's gateway cannot speak for sim-2");
        (await gateway.PublishAsync("iot/v1/hub/queries/FIND_DEVICES", "{}"u8.ToArray())).ReasonCode
            .Should().NotBe(MqttClientPublishReasonCode.NotAuthorized, "anyone may query the hub");
        (await client.PublishAsync("iot/v1/stations/sim-1/devices/dev-0001/props", "{}"u8.ToArray(), retain: true)).ReasonCode
            .Should().Be(MqttClientPublishReasonCode.NotAuthorized, "a client cannot forge a device's props");
        (await client.PublishAsync("iot/v1/stations/sim-1/availability", "offline"u8.ToArray(), retain: true)).ReasonCode
            .Should().Be(MqttClientPublishReasonCode.NotAuthorized);

        // The gateway's own props are untouched.
        var watcher = await env.ConnectRawAsync();
        await watcher.SubscribeAsync("iot/v1/stations/sim-1/availability");
        System.Text.Encoding.UTF8.GetString((await watcher.NextAsync(m => m.Retain)).Payload).Should().Be("online");
    }

    [Fact]
    public async Task A_client_does_not_see_the_requests_of_other_clients()
    {
        await using var env = await TestEnvironment.StartAsync();
        var spy = await env.ConnectRawAsync();
        await spy.SubscribeAsync("iot/v1/#");
        var other = await env.ConnectClientAsync();
        var device = other.GetDevice("sim-1", "dev-0001");
        await device.EnableNotificationsAsync("counter");
        // The request went out before the gateway answered it with NOTIFY_STARTED: the spy reads up to that event.
        var seen = new List<string>();
        await spy.NextAsync(m => { seen.Add(m.Topic); return m.Topic.EndsWith("/events/NOTIFY_STARTED", StringComparison.Ordinal); });
        seen.Should().NotContain(t => t.Contains("/requests/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_the_hub_may_read_hub_queries()
    {
        await using var env = await TestEnvironment.StartAsync();
        var spy = await env.ConnectRawAsync();
        if (TestEnvironment.UseMosquitto)
        {
            // Mosquitto 2.0 grants every SUBSCRIBE and applies read rules to each message (auth/README.md).
            await spy.SubscribeAsync("iot/v1/hub/queries/+");
        }
        else
        {
            var subscribe = () => spy.SubscribeAsync("iot/v1/hub/queries/+");
            (await subscribe.Should().ThrowAsync<IoTException>()).Which.Message.Should().Contain("NotAuthorized");
        }
        await spy.SubscribeAsync("iot/v1/stations/sim-1/devices/dev-0001/events/#");
        var asker = await env.ConnectRawAsync();
        await asker.PublishAsync("iot/v1/hub/queries/LIST_DEVICES", "{}"u8.ToArray());
        // A later event the spy may read marks the point by which the query would have arrived.
        await env.Station.FindDevice("dev-0001")!.EnableNotificationsAsync("counter", Deadline.Token());
        var seen = new List<string>();
        await spy.NextAsync(m => { seen.Add(m.Topic); return m.Topic.EndsWith("/NOTIFY_STARTED", StringComparison.Ordinal); });
        seen.Should().NotContain(t => t.Contains("/hub/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Password_files_made_by_mosquitto_passwd_verify_here()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("mqttiot-passwd-").FullName, "passwd");
        await MosquittoBroker.WritePasswordFileAsync(file, ["alice", "line%2F1"]);
        var passwords = PasswordFile.Load(file);
        passwords.Users.Should().BeEquivalentTo("alice", "line%2F1");
        passwords.Verify("alice", MosquittoBroker.Password).Should().BeTrue();
        passwords.Verify("line%2F1", MosquittoBroker.Password).Should().BeTrue();
        passwords.Verify("alice", MosquittoBroker.Password + "x").Should().BeFalse();
        passwords.Verify("bob", MosquittoBroker.Password).Should().BeFalse();
        passwords.Verify(null, null).Should().BeFalse();
        var broken = () => PasswordFile.Parse(["alice:plaintext"]);
        broken.Should().Throw<FormatException>().WithMessage("*:1:*");
    }

    [Fact]
    public void The_acl_is_read_the_way_mosquitto_reads_it()
    {
        var acl = AclFile.Parse([
            "topic read public/#",
            "topic deny public/secret",
            "pattern readwrite home/%u/#",
            "pattern read inbox/%c",
            "user alice",
            "topic write alice-only/+",
            "topic both/x",
        ]);
        acl.CanRead(null, "c1", "public/news").Should().BeTrue("anonymous rules come before the first user line");
        acl.CanRead(null, "c1", "public/secret").Should().BeFalse("a matching deny wins");
        acl.CanRead("alice", "c1", "public/news").Should().BeFalse("anonymous rules are not alice's");
        acl.CanWrite("alice", "c1", "alice-only/x").Should().BeTrue();
        acl.CanRead("alice", "c1", "alice-only/x").Should().BeFalse("write is not read");
        acl.CanRead("alice", "c1", "both/x").Should().BeTrue("no access type means readwrite");
        acl.CanWrite("bob", "c1", "home/bob/lamp").Should().BeTrue();
        acl.CanWrite("bob", "c1", "home/alice/lamp").Should().BeFalse();
        acl.CanWrite("a/b", "c1", "home/a/b/lamp").Should().BeFalse("a name with / does not take part in patterns");
        acl.CanRead("bob", "c7", "inbox/c7").Should().BeTrue();
        acl.CanSubscribe("bob", "c7", "home/#").Should().BeTrue("it overlaps home/bob/#; deliveries are checked one by one");
        acl.CanSubscribe("bob", "c7", "elsewhere/#").Should().BeFalse();
        acl.CanSubscribe("bob", "c7", "$share/g/home/bob/+").Should().BeTrue();
        var bad = () => AclFile.Parse(["topic"]);
        bad.Should().Throw<FormatException>();
    }
}
