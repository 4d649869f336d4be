using System.Text;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>Every device request and device event type, end to end.</summary>
public class DeviceTests
{
    [Fact]
    public async Task Read_returns_the_bytes_and_write_the_count()
    {
        await using var env = await TestEnvironment.StartAsync();
        var device = (await env.ConnectClientAsync()).GetDevice("sim-1", "dev-0001");

        Encoding.UTF8.GetString(await device.ReadValueAsync("setpoint")).Should().Be("20.0");
        (await device.WriteValueAsync("setpoint", "22.5"u8.ToArray())).Should().Be(4);
        Encoding.UTF8.GetString(await device.ReadValueAsync("setpoint")).Should().Be("22.5");

        byte[] blob = [0x00, 0xff, 0x10, 0x80, 0x7f];
        (await device.WriteValueAsync("config", blob)).Should().Be(5);
        (await device.ReadValueAsync("config")).Should().Equal(blob);

        var temperature = Encoding.UTF8.GetString(await device.ReadValueAsync("temperature"));
        double.Parse(temperature, System.Globalization.CultureInfo.InvariantCulture).Should().BeInRange(-20, 60);
        DateTimeOffset.Parse(Encoding.UTF8.GetString(await device.ReadValueAsync("clock")), System.Globalization.CultureInfo.InvariantCulture)
            .Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Writes_can_be_given_as_text_on_the_wire()
    {
        await using var env = await TestEnvironment.StartAsync();
        var client = await env.ConnectClientAsync();
        var data = await client.DeviceRequestAsync("sim-1", "dev-0002", DeviceRequestType.WriteValue, new RequestBody { Key = "setpoint", Text = "30" });
        data.GetProperty("written").GetInt32().Should().Be(2);
        Encoding.UTF8.GetString(await client.GetDevice("sim-1", "dev-0002").ReadValueAsync("setpoint")).Should().Be("30");
    }

    [Fact]
    public async Task Notifications_flow_between_start_and_stop_notify_and_can_be_filtered_by_key()
    {
        await using var env = await TestEnvironment.StartAsync();
        var client = await env.ConnectClientAsync();
        var device = client.GetDevice("sim-1", "dev-0001");
        await using var lifecycle = await device.SubscribeToEventsAsync();
        await using var counters = await device.SubscribeToNotificationsAsync("counter");
        await using var everyone = await client.SubscribeDeviceEventsAsync(type: DeviceEventType.Notified, station: "sim-1");

        await device.EnableNotificationsAsync("counter");
        await device.EnableNotificationsAsync("temperature");
        await lifecycle.WaitForAsync(e => e.Type == DeviceEventType.NotifyStarted && e.Key == "counter");

        var three = await counters.CollectAsync(3);
        three.Should().OnlyContain(e => e.Key == "counter" && e.Device == "dev-0001" && e.Station == "sim-1");
        var values = three.Select(e => long.Parse(Encoding.UTF8.GetString(e.Value!), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        values.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        (await everyone.WaitForAsync(e => e.Key == "temperature")).Value.Should().NotBeNullOrEmpty();

        await device.DisableNotificationsAsync("counter");
        var stopped = await lifecycle.WaitForAsync(e => e.Type == DeviceEventType.NotifyStopped && e.Key == "counter");
        // After NOTIFY_STOPPED only temperature keeps coming: the next ten notifications of the device carry no counter.
        var after = await everyone.CollectAsync(10, e => e.Device == "dev-0001" && e.Timestamp > stopped.Timestamp);
        after.Should().OnlyContain(e => e.Key == "temperature");
    }

    [Fact]
    public async Task A_subscription_nobody_reads_drops_its_oldest_events_and_never_holds_up_replies()
    {
        await using var env = await TestEnvironment.StartAsync(s => s.NotifyInterval = TimeSpan.FromMilliseconds(20));
        var (user, password) = env.ClientCredentials;
        await using var client = await IoTHubClient.ConnectAsync(new IoTHubClientOptions { Port = env.Port, Username = user, Password = password, EventBufferSize = 5 },
            env.LoggerFactory, cancellationToken: Deadline.Token());
        var device = client.GetDevice("sim-1", "dev-0001");
        await using var unread = await device.SubscribeToNotificationsAsync("counter");
        var before = long.Parse(Encoding.UTF8.GetString(await device.ReadValueAsync("counter")), System.Globalization.CultureInfo.InvariantCulture);
        await device.EnableNotificationsAsync("counter");

        await Deadline.UntilAsync(() => Task.FromResult(unread.Dropped > 0), "the unread subscription overflows");
        // The connection goes on: replies (and other subscriptions) arrive while the unread one is full.
        (await device.ReadValueAsync("setpoint")).Should().Equal("20.0"u8.ToArray());
        await device.DisableNotificationsAsync("counter");

        // What is left are the newest events, in order: the oldest were dropped.
        var kept = await unread.CollectAsync(5);
        var counts = kept.Select(e => long.Parse(Encoding.UTF8.GetString(e.Value!), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        counts.Should().Equal(Enumerable.Range(0, 5).Select(i => counts[0] + i), "the counter notifies every value");
        counts[0].Should().BeGreaterThanOrEqualTo(before + 1 + unread.Dropped, "the oldest notifications were dropped to make room, not the newest");
    }

    [Fact]
    public async Task Written_setpoint_notifies_when_watched()
    {
        await using var env = await TestEnvironment.StartAsync();
        var device = (await env.ConnectClientAsync()).GetDevice("sim-1", "dev-0003");
        await using var setpoints = await device.SubscribeToNotificationsAsync("setpoint");
        await device.EnableNotificationsAsync("setpoint");
        await device.WriteTextAsync("setpoint", "18.5");
        (await setpoints.WaitForAsync(_ => true)).Value.Should().Equal("18.5"u8.ToArray());
    }

    [Fact]
    public async Task Set_time_and_sync_time_report_the_offset_and_emit_their_events()
    {
        await using var env = await TestEnvironment.StartAsync();
        var device = (await env.ConnectClientAsync()).GetDevice("sim-1", "dev-0001");
        await using var events = await device.SubscribeToEventsAsync();
        var synced = await device.SyncTimeAsync();
        synced.OffsetMs.Should().NotBe(0, "the simulated clock starts off by up to 5 s");
        synced.DeviceTime.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5));
        var syncedEvent = await events.WaitForAsync(e => e.Type == DeviceEventType.TimeSynced);
        syncedEvent.Data!["offsetMs"]!.GetValue<double>().Should().Be(synced.OffsetMs);
        var set = await device.SetTimeAsync();
        set.OffsetMs.Should().BeInRange(-1000, 1000, "the clock was synced just before");
        await events.WaitForAsync(e => e.Type == DeviceEventType.TimeSet);
    }

    [Fact]
    public async Task Reset_restores_defaults()
    {
        await using var env = await TestEnvironment.StartAsync();
        var device = (await env.ConnectClientAsync()).GetDevice("sim-1", "dev-0002");
        await device.WriteTextAsync("setpoint", "33");
        await device.WriteValueAsync("config", new byte[] { 9, 9 });
        await device.ResetAsync();
        (await device.ReadValueAsync("setpoint")).Should().Equal("20.0"u8.ToArray());
        (await device.ReadValueAsync("config")).Should().Equal(1, 2, 3, 4);
    }

    [Fact]
    public async Task Disconnect_and_connect_emit_device_events_and_update_retained_props()
    {
        await using var env = await TestEnvironment.StartAsync();
        var client = await env.ConnectClientAsync();
        var device = client.GetDevice("sim-1", "dev-0001");
        await using var events = await device.SubscribeToEventsAsync();
        var raw = await env.ConnectRawAsync();
        await raw.SubscribeAsync("iot/v1/stations/sim-1/devices/dev-0001/availability");
        await raw.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "online");

        await device.DisconnectAsync();
        await events.WaitForAsync(e => e.Type == DeviceEventType.Disconnected);
        await events.WaitForAsync(e => e.Type == DeviceEventType.PropsChanged);
        await raw.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "offline");
        var read = () => device.ReadValueAsync("temperature");
        (await read.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.NotConnected);

        await device.ConnectAsync();
        await events.WaitForAsync(e => e.Type == DeviceEventType.Connected);
        await raw.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "online");
        (await device.ReadValueAsync("counter")).Should().NotBeEmpty();
    }

    [Fact]
    public async Task Every_device_event_type_is_emitted()
    {
        await using var env = await TestEnvironment.StartAsync();
        var device = (await env.ConnectClientAsync()).GetDevice("sim-1", "dev-0002");
        await using var events = await device.SubscribeToEventsAsync();
        await device.EnableNotificationsAsync("temperature");
        await device.DisableNotificationsAsync("temperature");
        var seen = new HashSet<DeviceEventType>();
        Func<DeviceEvent, bool> Until(Func<DeviceEvent, bool> done) => e => { seen.Add(e.Type); return done(e); };
        await device.EnableNotificationsAsync("counter");
        await events.WaitForAsync(Until(e => e.Type == DeviceEventType.Notified)); // before the disconnect turns it off
        await device.SetTimeAsync();
        await device.SyncTimeAsync();
        await device.DisconnectAsync();
        // PROPS_CHANGED is coalesced: reconnecting before the disconnect reached the retained props would leave them unchanged.
        await events.WaitForAsync(Until(e => e.Type == DeviceEventType.Disconnected));
        await events.WaitForAsync(Until(e => e.Type == DeviceEventType.PropsChanged));
        await device.ConnectAsync();
        await events.WaitForAsync(Until(_ => seen.Count == 8));
        seen.Should().BeEquivalentTo(Enum.GetValues<DeviceEventType>());
    }

    [Fact]
    public async Task Ids_and_keys_with_reserved_characters_work_end_to_end()
    {
        await using var env = await TestEnvironment.StartAsync(o => { o.StationId = "line/1"; o.DevicePrefix = "ns=2;s=Motor/#+"; o.DeviceCount = 2; });
        var client = await env.ConnectClientAsync();
        var ids = await client.GetStation("line/1").ListConnectedDevicesAsync();
        ids.Should().BeEquivalentTo("ns=2;s=Motor/#+0001", "ns=2;s=Motor/#+0002");
        var device = client.GetDevice("line/1", "ns=2;s=Motor/#+0002");
        await using var notes = await device.SubscribeToNotificationsAsync("counter");
        await device.EnableNotificationsAsync("counter");
        (await notes.WaitForAsync(_ => true)).Device.Should().Be("ns=2;s=Motor/#+0002");
        (await device.ReadValueAsync("setpoint")).Should().Equal("20.0"u8.ToArray());
    }
}
