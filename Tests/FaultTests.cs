using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MqttIoT.Tests;

/// <summary>Nothing is lost or done twice when connections drop and processes die.</summary>
public class FaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_redelivered_request_is_answered_again_but_executed_once()
    {
        await using var env = await TestEnvironment.StartAsync();
        var raw = await env.ConnectRawAsync();
        var target = (SimulatedDevice)env.Station.FindDevice("dev-0001")!;
        const string topic = "iot/v1/stations/sim-1/devices/dev-0001/requests/WRITE_VALUE";
        var body = """{"key":"config","value":"0102"}"""u8.ToArray();
        byte[] correlation = [0xca, 0xfe];

        var first = await raw.RequestAsync(topic, body, correlation: correlation);
        var second = await raw.RequestAsync(topic, body, correlation: correlation);
        second.Payload.Should().Equal(first.Payload, "the duplicate gets the same reply");
        Encoding.UTF8.GetString(first.Payload).Should().Contain("\"written\":2");
        target.AppliedWrites.Should().Be(1, "the write was applied once");

        // A new correlation is a new request.
        await raw.RequestAsync(topic, body, correlation: [0xca, 0xff]);
        target.AppliedWrites.Should().Be(2);
    }

    [Fact]
    public async Task Requests_sent_while_the_gateway_is_briefly_away_are_executed_when_it_is_back()
    {
        await using var env = await TestEnvironment.StartAsync(configureGateway: g =>
        {
            g.Mqtt.ReconnectMinDelay = TimeSpan.FromSeconds(1); // a gap long enough to send into
            g.Mqtt.ReconnectMaxDelay = TimeSpan.FromSeconds(1);
        });
        var client = await env.ConnectClientAsync();
        await env.Gateway.DropConnectionAsync();
        env.Gateway.IsConnected.Should().BeFalse();

        // The broker holds the request in the gateway's session and delivers it after the reconnect.
        var write = client.GetDevice("sim-1", "dev-0002").WriteTextAsync("setpoint", "24");
        (await write.WaitAsync(Deadline.Default)).Should().Be(2);
        ((SimulatedDevice)env.Station.FindDevice("dev-0002")!).AppliedWrites.Should().Be(1);
    }

    [Fact]
    public async Task Notifications_raised_while_the_gateway_is_briefly_away_are_all_delivered_when_it_is_back()
    {
        // The gateway reconnects at once, so a gap lasts one connect: a counter ticking every 2 ms usually fills it, and the
        // connection is dropped again (up to 20 times) until some notification was raised while the gateway was away.
        await using var env = await TestEnvironment.StartAsync(o => o.NotifyInterval = TimeSpan.FromMilliseconds(2));
        var client = await env.ConnectClientAsync();
        var device = client.GetDevice("sim-1", "dev-0001");
        var seen = new HashSet<long>();
        long Value(Sdk.DeviceEvent n) => long.Parse(Encoding.UTF8.GetString(n.Value!), CultureInfo.InvariantCulture);
        await using var notes = await device.SubscribeToNotificationsAsync("counter");
        await device.EnableNotificationsAsync("counter");
        var first = Value(await notes.WaitForAsync(_ => true));
        seen.Add(first);

        long raisedWhileAway = 0, back = first;
        for (var drop = 0; drop < 20 && raisedWhileAway == 0; drop++)
        {
            await env.Gateway.DropConnectionAsync();
            var away = (await CountersAsync(env, ["dev-0001"]))["dev-0001"];
            await Deadline.UntilAsync(() => Task.FromResult(env.Gateway.IsConnected), "the gateway reconnects");
            back = (await CountersAsync(env, ["dev-0001"]))["dev-0001"];
            raisedWhileAway += back - away;
        }
        var expected = Enumerable.Range((int)first, (int)(back + 11 - first)).Select(v => (long)v).ToList();
        // Fails at the deadline if one is missing, naming what came last.
        await notes.WaitForAsync(n =>
        {
            seen.Add(Value(n));
            return expected.All(seen.Contains);
        }, TimeSpan.FromSeconds(30));
        output.WriteLine($"{raisedWhileAway} notifications raised while the gateway was away, {seen.Count} received");
        raisedWhileAway.Should().BePositive("notifications were raised while the gateway was away");
        env.Gateway.DroppedNotifications.Should().Be(0);
    }

    [Fact]
    public async Task A_gateway_killed_with_sigkill_goes_offline_through_its_will_within_one_and_a_half_keep_alives_and_the_hub_marks_it_and_its_devices_offline()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, users: ["sim-9"]);
        await env.StartHubAsync();
        var client = await env.ConnectClientAsync();
        var watcher = await env.ConnectRawAsync();
        await watcher.SubscribeAsync("iot/v1/stations/sim-9/availability");

        const int keepAlive = 2, devices = 3;
        var (user, password) = env.GatewayCredentials("sim-9");
        await using var gateway = HostProcess.StartGateway("--port", HostProcess.Number(env.Port), "--station", "sim-9",
            "--devices", HostProcess.Number(devices), "--username", user!, "--password", password!, "--keep-alive", HostProcess.Number(keepAlive));
        await watcher.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "online", TimeSpan.FromSeconds(30));
        await Deadline.UntilAsync(async () => await HubStationOnlineAsync(client, "sim-9") == true
            && (await client.FindDevicesAsync(new HubFilter().Eq("station", "sim-9").Eq("online", true))).Items.Count == devices,
            "the hub has the station and its devices online", TimeSpan.FromSeconds(30));

        var killed = Stopwatch.StartNew();
        await gateway.KillAsync(); // SIGKILL: no DISCONNECT, no cleanup
        await watcher.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "offline", TimeSpan.FromSeconds(keepAlive * 1.5 + 5));
        var will = killed.Elapsed;
        will.Should().BeLessThan(TimeSpan.FromSeconds(keepAlive * 1.5), "the will fires within 1.5 keep-alives");

        // The hub reads the will: the station is offline, and so are its devices (their retained availability still
        // says online, which only a live gateway could mean).
        await Deadline.UntilAsync(async () => await HubStationOnlineAsync(client, "sim-9") == false
            && (await client.FindDevicesAsync(new HubFilter().Eq("station", "sim-9").Eq("online", true))).Items.Count == 0,
            "the hub marks the station and its devices offline");
        var indexed = killed.Elapsed;
        output.WriteLine($"kill -9 of the gateway: will after {will.TotalMilliseconds:0} ms, hub index offline after {indexed.TotalMilliseconds:0} ms");
        indexed.Should().BeLessThan(TimeSpan.FromSeconds(keepAlive * 1.5 + 2), "the hub follows the will at once");
        var station = await client.GetStationAsync("sim-9");
        station.Online.Should().BeFalse();
        station.Devices.Should().Be(devices);
        var records = (await client.FindDevicesAsync(new HubFilter().Eq("station", "sim-9"))).Items;
        records.Should().HaveCount(devices).And.OnlyContain(d => !d.Online && d.Stale);
    }

    /// <summary>
    /// kill -9 of the broker (the broker host as a child process, or Mosquitto) while an Sdk client sends requests and
    /// another receives counter notifications at QoS 1 from 10 devices every 20 ms. What is guaranteed, and asserted:
    /// every call succeeds or fails with a clear code, none is applied twice, and calls made once everyone is back all
    /// succeed; gateway, hub and clients come back by themselves; retained props and the hub's index are right. Of the
    /// notifications (counter values are sequence numbers), the subscriber gets everything up to where it had caught
    /// up before the kill and everything from when everyone is back; in between, what a broker acknowledged but held only
    /// in memory dies with it. The embedded broker writes a message queued for a persistent session to its session log
    /// before the publisher's PUBACK and re-creates the sessions before it listens again, so there nothing is lost. Mosquitto restores the subscriber's persistent session from its
    /// last save (every second here), so there only what it held at the kill may be lost: the gateway's events of the
    /// outage (queued) and those whose PUBACK the kill took (published again) all arrive. The test counts and prints them.
    /// </summary>
    [Fact]
    public async Task A_broker_killed_with_sigkill_under_load_is_recovered_by_everyone_and_loses_only_what_it_held_in_memory()
    {
        const int devices = 10, tail = 25;
        await using var env = await TestEnvironment.StartAsync(o =>
        {
            o.DeviceCount = devices;
            o.NotifyInterval = TimeSpan.FromMilliseconds(20);
        }, killableBroker: true);
        await env.StartHubAsync();
        const string subscriberId = "fault-subscriber";
        var subscriber = await env.ConnectClientAsync(configure: o =>
        {
            o.ClientId = subscriberId;
            o.SessionExpiry = TimeSpan.FromMinutes(5);
        });
        var requester = await env.ConnectClientAsync(TimeSpan.FromSeconds(2));
        var ids = env.Station.GetKnownDevices().Select(d => d.Id).Order(StringComparer.Ordinal).ToArray();
        ids.Should().HaveCount(devices);

        var received = ids.ToDictionary(id => id, _ => new ConcurrentDictionary<long, int>());
        await using var notes = await subscriber.SubscribeDeviceEventsAsync("sim-1", type: DeviceEventType.Notified, key: "counter");
        var subscribedAt = DateTime.UtcNow;
        using var stop = new CancellationTokenSource();
        var collecting = Task.Run(async () =>
        {
            try
            {
                await foreach (var n in notes.WithCancellation(stop.Token))
                    received[n.Device].AddOrUpdate(long.Parse(Encoding.UTF8.GetString(n.Value!), CultureInfo.InvariantCulture), 1, (_, c) => c + 1);
            }
            catch (OperationCanceledException) { }
        });
        foreach (var id in ids) await requester.GetDevice("sim-1", id).EnableNotificationsAsync("counter");

        // Requests all along: reads and writes, two at a time. A caller told UNAVAILABLE waits for its connection.
        var outcomes = new ConcurrentDictionary<string, int>();
        var writeCalls = new ConcurrentDictionary<string, int>();
        var writesDone = new ConcurrentDictionary<string, int>();
        var failedOnceBack = new ConcurrentQueue<string>();
        var back = 0;
        async Task RequestLoadAsync(int worker)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var id = ids[(i * 2 + worker) % devices];
                var device = requester.GetDevice("sim-1", id);
                var once = Volatile.Read(ref back) == 1;
                var write = i % 2 == 0;
                try
                {
                    if (write)
                    {
                        writeCalls.AddOrUpdate(id, 1, (_, c) => c + 1);
                        await device.WriteTextAsync("setpoint", "21.5");
                        writesDone.AddOrUpdate(id, 1, (_, c) => c + 1);
                    }
                    else await device.ReadValueAsync("counter");
                    outcomes.AddOrUpdate("ok", 1, (_, c) => c + 1);
                }
                catch (IoTException e)
                {
                    outcomes.AddOrUpdate(e.Code.ToString(), 1, (_, c) => c + 1);
                    if (once) failedOnceBack.Enqueue($"{id}: {e.Code} {e.Message}");
                    if (e.Code == ErrorCode.Unavailable)
                        await Deadline.UntilAsync(() => Task.FromResult(requester.IsConnected || stop.IsCancellationRequested), "the requester reconnects", TimeSpan.FromSeconds(60));
                }
                catch (Exception e) when (e is not TimeoutException)
                {
                    outcomes.AddOrUpdate(e.GetType().Name, 1, (_, c) => c + 1);
                }
            }
        }
        var load = new[] { Task.Run(() => RequestLoadAsync(0)), Task.Run(() => RequestLoadAsync(1)) };

        await Deadline.UntilAsync(() => Task.FromResult(received.Values.All(r => r.Count >= 10)), "notifications from every device", TimeSpan.FromSeconds(30));
        var caughtUp = await CountersAsync(env, ids);
        await Deadline.UntilAsync(() => Task.FromResult(ids.All(id => received[id].ContainsKey(caughtUp[id]))), "the subscriber catches up", TimeSpan.FromSeconds(30));
        if (env.Mosquitto is { } mosquitto)
        {
            // A save that ends after the SUBACK holds the subscription: Mosquitto does both on its one thread.
            await Deadline.UntilAsync(() => Task.FromResult(File.Exists(mosquitto.PersistenceFile) && File.GetLastWriteTimeUtc(mosquitto.PersistenceFile) > subscribedAt),
                "Mosquitto has saved the subscriber's session", TimeSpan.FromSeconds(TestEnvironment.KillableMosquittoAutosave * 10 + 5));
        }

        var outage = Stopwatch.StartNew();
        await env.KillBrokerAsync();
        var atKill = await CountersAsync(env, ids);
        await Deadline.UntilAsync(() => Task.FromResult(!env.Gateway.IsConnected && !subscriber.IsConnected && !requester.IsConnected),
            "everyone sees the broker go", TimeSpan.FromSeconds(30));
        await env.StartBrokerAsync();
        await Deadline.UntilAsync(() => Task.FromResult(env.Gateway.IsConnected && subscriber.IsConnected && requester.IsConnected
                && Reconnected(env, subscriberId) && Reconnected(env, requester.ClientId) && Reconnected(env, "gateway-sim-1")),
            "gateway and clients reconnect and resubscribe by themselves", TimeSpan.FromSeconds(60));
        Volatile.Write(ref back, 1);
        var downFor = outage.Elapsed;
        var everyoneBack = await CountersAsync(env, ids);
        await Deadline.UntilAsync(() => Task.FromResult(ids.All(id => received[id].Keys.Any(v => v >= everyoneBack[id] + tail))),
            "notifications flow again", TimeSpan.FromSeconds(30));

        // The hub follows by itself too, and its index matches the retained props.
        var client = await env.ConnectClientAsync();
        await Deadline.UntilAsync(async () =>
        {
            try
            {
                return (await client.GetStationAsync("sim-1")).Online
                    && (await client.FindDevicesAsync(new HubFilter().Eq("station", "sim-1").Eq("online", true))).Items.Count == devices;
            }
            catch (IoTException e) when (e.Code is ErrorCode.Unavailable or ErrorCode.DeadlineExceeded) { return false; }
        }, "the hub has the station and every device online", TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(load).WaitAsync(TimeSpan.FromSeconds(30));
        await collecting.WaitAsync(TimeSpan.FromSeconds(30));

        var raw = await env.ConnectRawAsync();
        await raw.SubscribeAsync("iot/v1/stations/sim-1/#");
        var topics = new List<string> { env.Gateway.Topics.StationAvailability("sim-1") };
        foreach (var id in ids) topics.AddRange([env.Gateway.Topics.DeviceProps("sim-1", id), env.Gateway.Topics.DeviceAvailability("sim-1", id)]);
        var retained = await raw.LatestOnTopicsAsync(topics, m => m.Retain);
        Encoding.UTF8.GetString(retained[topics[0]].Payload).Should().Be("online");
        foreach (var id in ids)
        {
            var props = Encoding.UTF8.GetString(retained[env.Gateway.Topics.DeviceProps("sim-1", id)].Payload);
            props.Should().Be(JsonSerializer.Serialize(env.Station.FindDevice(id)!.GetProps(), ContractJson.Default.DeviceProps), "retained props are the device's");
            Encoding.UTF8.GetString(retained[env.Gateway.Topics.DeviceAvailability("sim-1", id)].Payload).Should().Be("online");
            var record = await client.GetDeviceAsync(id);
            record.Online.Should().BeTrue();
            JsonSerializer.Serialize(record.Props, ContractJson.Default.DeviceProps).Should().Be(props, "the hub's index matches the retained props");
        }

        // Requests: every call succeeded or failed with a clear code; none was applied twice; none failed once everyone was back.
        var total = outcomes.Values.Sum();
        output.WriteLine($"broker down and everyone back after {downFor.TotalMilliseconds:0} ms; requests: {total}, "
            + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
        outcomes.Keys.Should().BeSubsetOf(["ok", nameof(ErrorCode.Unavailable), nameof(ErrorCode.DeadlineExceeded), nameof(ErrorCode.UnknownStation)],
            "a call either succeeds or fails with a code that says the broker or gateway was away");
        outcomes.GetValueOrDefault("ok").Should().BePositive();
        failedOnceBack.Should().BeEmpty("calls made once everyone is back succeed");
        foreach (var id in ids)
        {
            var applied = ((SimulatedDevice)env.Station.FindDevice(id)!).AppliedWrites;
            applied.Should().BeInRange(writesDone.GetValueOrDefault(id), writeCalls.GetValueOrDefault(id), "a write is applied at most once per call, and every acknowledged one was");
        }

        // Notifications, counted by sequence number from the first each device delivered to `tail` after everyone was back.
        var lost = new List<(string Id, long Value)>();
        long expected = 0, duplicates = 0;
        foreach (var id in ids)
        {
            var got = received[id];
            for (var v = got.Keys.Min(); v <= everyoneBack[id] + tail; v++)
            {
                expected++;
                if (!got.TryGetValue(v, out var copies)) lost.Add((id, v));
                else duplicates += copies - 1;
            }
        }
        var heldAtKill = ids.Sum(id => atKill[id] - caughtUp[id]);
        var duringOutage = ids.Sum(id => everyoneBack[id] - atKill[id]);
        output.WriteLine($"notifications: {expected} sent, {expected - lost.Count} received ({duplicates} twice), {lost.Count} lost; "
            + $"{heldAtKill} were sent between the subscriber's catching up and the kill, {duringOutage} while the broker was down or coming back; "
            + $"gateway re-sent {env.Gateway.RetriedEvents} events, dropped {env.Gateway.DroppedNotifications}");
        output.WriteLine("lost: " + string.Join(", ", lost.GroupBy(l => l.Id).Select(g => $"{g.Key} {g.Min(l => l.Value)}..{g.Max(l => l.Value)} ({g.Count()})")));
        env.Gateway.DroppedNotifications.Should().Be(0);
        lost.Where(l => l.Value <= caughtUp[l.Id]).Should().BeEmpty("everything up to where the subscriber had caught up before the kill arrived");
        lost.Where(l => l.Value >= everyoneBack[l.Id]).Should().BeEmpty("everything sent once everyone was back arrived");
        if (TestEnvironment.UseMosquitto)
            lost.Where(l => l.Value > atKill[l.Id]).Should().BeEmpty("Mosquitto kept the subscriber's session: nothing the gateway sent after the kill is lost");
        else
            lost.Should().BeEmpty("the embedded broker stores each message of a persistent session before its PUBACK and restores the session before it listens");
    }

    private static async Task<Dictionary<string, long>> CountersAsync(TestEnvironment env, IEnumerable<string> ids)
    {
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var value = await env.Station.FindDevice(id)!.ReadValueAsync("counter", Deadline.Token());
            counters[id] = long.Parse(Encoding.UTF8.GetString(value), CultureInfo.InvariantCulture);
        }
        return counters;
    }

    /// <summary>Whether a session has logged a reconnect, which it does once its subscriptions are back.</summary>
    private static bool Reconnected(TestEnvironment env, string clientId) =>
        env.Logs.Count(LogEvents.SessionConnected, e => e.Value("ClientId") == clientId) >= 2;

    /// <summary>The hub's word on a station: null while it does not know it.</summary>
    private static async Task<bool?> HubStationOnlineAsync(IoTHubClient client, string station)
    {
        try { return (await client.GetStationAsync(station)).Online; }
        catch (IoTException e) when (e.Code is ErrorCode.UnknownStation) { return null; }
    }
}
