using System.Diagnostics;
using System.Text;
using MqttIoT.Gateway.Backends.Ble;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Backends;
using MqttIoT.Tests.Ble;
using MqttIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MqttIoT.Tests;

/// <summary>A BLE peripheral's GATT operations end to end: Sdk, broker, gateway, BleDevice, D-Bus, the BlueZ-shaped peer.</summary>
public class BleDeviceTests(ITestOutputHelper output)
{
    private const string Address = "AA:00:00:00:01:01";
    private const int DeviceDisconnected = 2301, DeviceReconnected = 2303;
    private static readonly string Id = BleRig.DeviceId(Address);

    [Fact]
    public async Task Read_and_write_characteristics_with_and_without_response()
    {
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(Address, "Sensor 1"));
        var device = await rig.ConnectAsync(Address);

        (await device.ReadValueAsync("battery_level")).Should().Equal(100);
        Encoding.UTF8.GetString(await device.ReadValueAsync("manufacturer_name")).Should().Be("MqttIoT Labs");
        (await device.ReadValueAsync("2a19")).Should().Equal([100], "a key can also be given as its UUID");
        BitConverter.ToInt16(await device.ReadValueAsync("temperature")).Should().Be(2137);

        (await device.WriteValueAsync(BleRig.ConfigUuid, new byte[] { 9, 8, 7 })).Should().Be(3);
        (await device.ReadValueAsync(BleRig.ConfigUuid)).Should().Equal(9, 8, 7);
        (await device.WriteValueAsync(BleRig.ConfigUuid, new byte[] { 5 }, withResponse: false)).Should().Be(1);
        (await device.ReadValueAsync(BleRig.ConfigUuid)).Should().Equal(5);
        var writes = (await rig.BlueZ.DeviceStateAsync(Address)).GetProperty("writes").EnumerateArray().Select(w => w.GetProperty("type").GetString()).ToList();
        writes.Should().Equal(["request", "command"], "BlueZ is asked for Write Request, then Write Command");

        await ExpectAsync(() => device.ReadValueAsync("humidity"), ErrorCode.UnknownKey);
        await ExpectAsync(() => device.WriteValueAsync("battery_level", new byte[] { 1 }), ErrorCode.Unsupported);
        await ExpectAsync(() => device.WriteValueAsync(BleRig.ResetUuid, new byte[] { 1 }, withResponse: false), ErrorCode.Unsupported);
        await ExpectAsync(() => device.ReadValueAsync(BleRig.ResetUuid), ErrorCode.Unsupported);
        await ExpectAsync(() => device.WriteValueAsync(BleRig.ConfigUuid, new byte[65]), ErrorCode.BadRequest, "InvalidValueLength");
    }

    [Fact]
    public async Task Read_round_trips_through_the_gateway_are_logged_with_their_times()
    {
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(Address, "Sensor 1"));
        var device = await rig.ConnectAsync(Address);
        await device.ReadValueAsync("battery_level");
        const int reads = 100;
        var times = new List<double>(reads);
        for (int i = 0; i < reads; i++)
        {
            var watch = Stopwatch.StartNew();
            (await device.ReadValueAsync("battery_level")).Should().Equal(100);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        output.WriteLine($"READ_VALUE round trip (Sdk -> broker -> gateway -> D-Bus -> fake BlueZ and back), {reads} reads: " +
            $"median {times[reads / 2]:0.00} ms, p95 {times[reads * 95 / 100]:0.00} ms, max {times[^1]:0.00} ms");
        // Timing is reported, never asserted (the machine is shared); what must hold is that each read reached the peer.
        (await rig.BlueZ.CallsAsync()).Count(c => c == "ReadValue:00002a19-0000-1000-8000-00805f9b34fb").Should().Be(reads + 1);
    }

    [Fact]
    public async Task Notifications_arrive_as_notified_events_until_stop_notify()
    {
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(Address, "Sensor 1"));
        var device = await rig.ConnectAsync(Address);
        await using var events = await device.SubscribeToEventsAsync();
        await using var notes = await device.SubscribeToNotificationsAsync(BleRig.CounterUuid);

        await device.EnableNotificationsAsync(BleRig.CounterUuid);
        (await events.WaitForAsync(e => e.Type == DeviceEventType.NotifyStarted)).Key.Should().Be(BleRig.CounterUuid);
        (await rig.BlueZ.DeviceStateAsync(Address)).GetProperty("notifying")[0].GetString().Should().Be(BleRig.CounterUuid);
        foreach (var value in new[] { "01000000", "02000000", "03000000" })
            await rig.BlueZ.Control.NotifyAsync(Address, BleRig.CounterUuid, value);
        var three = await notes.CollectAsync(3);
        three.Select(n => Convert.ToHexStringLower(n.Value!)).Should().Equal("01000000", "02000000", "03000000");
        three.Should().OnlyContain(n => n.Device == Id && n.Station == BleRig.StationId);

        await device.EnableNotificationsAsync(BleRig.CounterUuid); // again: BlueZ answers InProgress, which means "already on"

        await device.DisableNotificationsAsync(BleRig.CounterUuid);
        await events.WaitForAsync(e => e.Type == DeviceEventType.NotifyStopped && e.Key == BleRig.CounterUuid);
        (await rig.BlueZ.DeviceStateAsync(Address)).GetProperty("notifying").GetArrayLength().Should().Be(0);
        await ExpectAsync(() => device.EnableNotificationsAsync("manufacturer_name"), ErrorCode.Unsupported);
    }

    [Fact]
    public async Task Sync_time_and_set_time_write_the_current_time_characteristic()
    {
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(Address, "Sensor 1", extra: new { clockOffsetMs = -120_000 }),
            BleRig.Spec("AA:00:00:00:01:02", "Basic 2", profile: "basic", delayMs: 40));
        var device = await rig.ConnectAsync(Address);
        await using var events = await device.SubscribeToEventsAsync();

        var synced = await device.SyncTimeAsync();
        synced.OffsetMs.Should().BeInRange(-121_500, -118_500, "the device clock was two minutes slow");
        synced.DeviceTime.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5));
        (await events.WaitForAsync(e => e.Type == DeviceEventType.TimeSynced)).Data!["offsetMs"]!.GetValue<double>().Should().Be(synced.OffsetMs);
        (await rig.BlueZ.DeviceStateAsync(Address)).GetProperty("clockOffsetMs").GetDouble().Should().BeInRange(-1000, 1000, "the gateway's time was written");

        var set = await device.SetTimeAsync();
        set.OffsetMs.Should().BeInRange(-1500, 1500);
        await events.WaitForAsync(e => e.Type == DeviceEventType.TimeSet);
        // The peer checked each write field by field (day of week included); both carry "manual time update".
        var clockWrites = (await rig.BlueZ.DeviceStateAsync(Address)).GetProperty("clockWrites").EnumerateArray().Select(w => Convert.FromHexString(w.GetString()!)).ToList();
        clockWrites.Should().HaveCount(2).And.OnlyContain(w => w.Length == 10 && w[9] == 0x01);

        var basic = await rig.ConnectAsync("AA:00:00:00:01:02");
        var error = await ExpectAsync(() => basic.SetTimeAsync(), ErrorCode.Unsupported);
        error.Message.Should().Contain("Current Time Service");
        await ExpectAsync(() => basic.SyncTimeAsync(), ErrorCode.Unsupported);
    }

    [Fact]
    public async Task Reset_writes_the_models_reset_characteristic_and_is_unsupported_without_one()
    {
        await using var rig = await BleRig.StartAsync(
            o => o.Models = [new BleDeviceModel { Name = "mqttiot-sensor", NamePrefix = "Sensor", ResetCharacteristic = BleRig.ResetUuid, ResetValue = [0x01] }],
            BleRig.Spec(Address, "Sensor 1"), BleRig.Spec("AA:00:00:00:01:02", "Basic 2", profile: "basic", delayMs: 40));
        var device = await rig.ConnectAsync(Address);
        (await rig.Remote.GetDevicePropsAsync(Id)).Attributes!["model"]!.GetValue<string>().Should().Be("mqttiot-sensor");
        await device.WriteValueAsync(BleRig.ConfigUuid, new byte[] { 7, 7 });
        await device.ResetAsync();
        (await device.ReadValueAsync(BleRig.ConfigUuid)).Should().Equal(1, 2, 3, 4);

        var basic = await rig.ConnectAsync("AA:00:00:00:01:02");
        (await ExpectAsync(() => basic.ResetAsync(), ErrorCode.Unsupported)).Message.Should().Contain("no model matches");
    }

    [Fact]
    public async Task Reset_of_a_disconnected_device_is_not_connected()
    {
        await using var rig = await BleRig.StartAsync(
            o => o.Models = [new BleDeviceModel { Name = "mqttiot-sensor", NamePrefix = "Sensor", ResetCharacteristic = BleRig.ResetUuid }],
            BleRig.Spec(Address, "Sensor 1"));
        var device = await rig.ConnectAsync(Address);
        await device.DisconnectAsync();
        (await ExpectAsync(() => device.ResetAsync(), ErrorCode.NotConnected)).Message.Should().Contain("not connected");
        (await rig.BlueZ.DeviceStateAsync(Address)).GetProperty("writes").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task In_progress_is_retried_and_reported_as_busy_when_it_lasts()
    {
        await using var rig = await BleRig.StartAsync(o => o.InProgressRetries = 3, BleRig.Spec(Address, "Sensor 1"));
        var device = await rig.ConnectAsync(Address);
        await rig.BlueZ.Control.SetBusyAsync(Address, 2);
        (await device.ReadValueAsync("battery_level")).Should().Equal(100);
        await rig.BlueZ.Control.SetBusyAsync(Address, 10);
        (await ExpectAsync(() => device.ReadValueAsync("battery_level"), ErrorCode.Busy)).Message.Should().Contain("org.bluez.Error.InProgress");
        (await rig.BlueZ.CallsAsync()).Count(c => c.StartsWith("ReadValue:", StringComparison.Ordinal)).Should().Be(3 + 4, "2 refused + 1 served, then 1 + 3 retries refused");
    }

    [Fact]
    public async Task BlueZs_in_progress_on_a_characteristic_is_retried_and_its_not_connected_answers_are_not_connected()
    {
        const string battery = "00002a19-0000-1000-8000-00805f9b34fb";
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(Address, "Sensor 1"));
        var device = await rig.ConnectAsync(Address);
        int Reads(List<string> calls) => calls.Count(c => c == $"ReadValue:{battery}");

        await rig.BlueZ.Control.FailNextAsync(Address, battery, """[["InProgress", "In Progress"]]""");
        (await device.ReadValueAsync("battery_level")).Should().Equal(100);
        Reads(await rig.BlueZ.CallsAsync()).Should().Be(2, "refused once, then retried");

        // What bluetoothd answers on a link that went away under the call (device.c, gatt-client.c).
        await rig.BlueZ.Control.FailNextAsync(Address, battery, """[["NotConnected", "Not Connected"]]""");
        await rig.BlueZ.Control.FailNextAsync(Address, BleRig.ConfigUuid, """[["Failed", "Not connected"]]""");
        (await ExpectAsync(() => device.ReadValueAsync("battery_level"), ErrorCode.NotConnected)).Message.Should().Contain("org.bluez.Error.NotConnected");
        (await ExpectAsync(() => device.WriteValueAsync(BleRig.ConfigUuid, new byte[] { 1 }), ErrorCode.NotConnected)).Message.Should().Contain("org.bluez.Error.Failed: Not connected");
        var calls = await rig.BlueZ.CallsAsync();
        Reads(calls).Should().Be(3, "NOT_CONNECTED is not retried");
        calls.Count(c => c == $"WriteValue:{BleRig.ConfigUuid}").Should().Be(1);
        (await device.ReadValueAsync("battery_level")).Should().Equal([100], "the injected errors were used up; the link is fine");
    }

    [Fact]
    public async Task A_notification_sent_as_start_notify_completes_is_delivered()
    {
        await using var rig = await BleRig.StartAsync(null,
            BleRig.Spec(Address, "Sensor 1", extra: new { notifyOnStart = new Dictionary<string, string> { [BleRig.CounterUuid] = "07000000" } }));
        var device = await rig.ConnectAsync(Address);
        await using var notes = await device.SubscribeToNotificationsAsync(BleRig.CounterUuid);
        await device.EnableNotificationsAsync(BleRig.CounterUuid);
        (await notes.WaitForAsync(_ => true)).Value.Should().Equal(7, 0, 0, 0);
    }

    [Fact]
    public async Task One_gatt_operation_runs_at_a_time_per_device_even_when_called_in_parallel()
    {
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(Address, "Sensor 1", extra: new { latencyMs = 20 }));
        await rig.ConnectAsync(Address);
        // Straight on the backend: the gateway already queues requests per device, this proves the device does too.
        var device = (BleDevice)rig.Station.FindDevice(Id)!;
        var reads = Enumerable.Range(0, 8).Select(i => device.ReadValueAsync(i % 2 == 0 ? "battery_level" : "temperature", Deadline.Token()));
        var restore = device.EnableNotificationsAsync("battery_level", Deadline.Token());
        await Task.WhenAll([.. reads, restore]);
        (await rig.BlueZ.DeviceStateAsync(Address)).GetProperty("maxConcurrentGatt").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task A_dropped_device_reconnects_and_turns_its_notifications_back_on()
    {
        var clock = new WatchedClock();
        await using var rig = await BleRig.StartAsync(o => o.ConnectTimeout = o.PowerTimeout = TimeSpan.FromHours(1), clock, BleRig.Spec(Address, "Sensor 1"));
        var device = await rig.ConnectAsync(Address);
        await device.EnableNotificationsAsync(BleRig.CounterUuid);
        await device.EnableNotificationsAsync("battery_level");
        await using var events = await device.SubscribeToEventsAsync();
        await using var notes = await device.SubscribeToNotificationsAsync(BleRig.CounterUuid);
        var reconnectDelay = rig.Station.Options.ReconnectDelay;

        var before = clock.Dues.Count;
        await rig.BlueZ.Control.DropAsync(Address);
        await events.WaitForAsync(e => e.Type == DeviceEventType.Disconnected);
        clock.Advance((await clock.WaitForTimersAsync(1, d => d >= reconnectDelay && d <= reconnectDelay * 1.2, "the reconnect wait", since: before))[0]);
        await events.WaitForAsync(e => e.Type == DeviceEventType.Connected);
        var restored = await events.CollectAsync(2, e => e.Type == DeviceEventType.NotifyStarted);
        restored.Select(e => e.Key).Should().BeEquivalentTo([BleRig.CounterUuid, "battery_level"]);
        restored.Should().OnlyContain(e => e.Data!["reason"]!.GetValue<string>() == "reconnect");

        await rig.BlueZ.Control.NotifyAsync(Address, BleRig.CounterUuid, "2a000000");
        (await notes.WaitForAsync(_ => true)).Value.Should().Equal(0x2a, 0, 0, 0);
        rig.Log.Count(DeviceReconnected, e => e.Value("Attempts") == "1").Should().Be(1);
    }

    [Fact]
    public async Task A_dropped_device_reconnects_with_the_backoff_from_reconnect_delay_up_to_reconnect_max_delay()
    {
        var clock = new WatchedClock();
        await using var rig = await BleRig.StartAsync(o =>
        {
            o.ReconnectDelay = TimeSpan.FromSeconds(1);
            o.ReconnectMaxDelay = TimeSpan.FromSeconds(3);
            o.ReconnectAttempts = 5;
            o.ConnectAttempts = 1;
            o.ConnectTimeout = o.PowerTimeout = TimeSpan.FromHours(1);
        }, clock, BleRig.Spec(Address, "Sensor 1"));
        var device = await rig.ConnectAsync(Address);
        await using var events = await device.SubscribeToEventsAsync();
        async Task<int> ConnectsAsync() => (await rig.BlueZ.CallsAsync()).Count(c => c == $"Connect:{Address}");
        // The reconnect waits: 1 s, 2 s, then capped at 3 s, each stretched by up to 20 % of jitter. (An abandoned
        // connect waits up to 5 s for its Disconnect, the connect and power timeouts are an hour: none falls in here.)
        static bool IsReconnectWait(TimeSpan due) => due >= TimeSpan.FromSeconds(1) && due <= TimeSpan.FromSeconds(3.6);

        var before = clock.Dues.Count;
        await rig.BlueZ.Control.FailConnectsAsync(Address, 3);
        await rig.BlueZ.Control.DropAsync(Address);
        await events.WaitForAsync(e => e.Type == DeviceEventType.Disconnected);
        for (int attempt = 1; attempt <= 4; attempt++)
        {
            var due = (await clock.WaitForTimersAsync(attempt, IsReconnectWait, $"reconnect wait {attempt}", since: before))[attempt - 1];
            (await ConnectsAsync()).Should().Be(attempt, "no reconnect attempt comes before its wait is over");
            clock.Advance(due);
            await Deadline.UntilAsync(async () => await ConnectsAsync() == attempt + 1, $"reconnect attempt {attempt}");
        }
        await events.WaitForAsync(e => e.Type == DeviceEventType.Connected);

        var waits = clock.Dues.Skip(before).Where(IsReconnectWait).ToList();
        waits.Should().HaveCount(4);
        double[] bases = [1, 2, 3, 3];
        for (int i = 0; i < bases.Length; i++)
            waits[i].TotalSeconds.Should().BeInRange(bases[i], bases[i] * 1.2, $"wait {i + 1} is the backoff's step {bases[i]} s plus jitter");
        rig.Log.Count(DeviceReconnected, e => e.Value("Attempts") == "4").Should().Be(1);
    }

    [Fact]
    public async Task Without_auto_reconnect_a_drop_is_reported_and_connect_brings_notifications_back()
    {
        await using var rig = await BleRig.StartAsync(o => o.AutoReconnect = false, BleRig.Spec(Address, "Sensor 1"));
        var device = await rig.ConnectAsync(Address);
        await device.EnableNotificationsAsync(BleRig.CounterUuid);
        var raw = await rig.Env.ConnectRawAsync();
        await raw.SubscribeAsync(new TopicTree().DeviceAvailability(BleRig.StationId, Id));
        await raw.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "online");
        await using var events = await device.SubscribeToEventsAsync();

        await rig.BlueZ.Control.DropAsync(Address);
        await events.WaitForAsync(e => e.Type == DeviceEventType.Disconnected);
        await raw.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == "offline");
        await ExpectAsync(() => device.ReadValueAsync("battery_level"), ErrorCode.NotConnected);
        (await rig.Remote.GetDeviceKeysAsync(Id)).Should().Contain("battery_level", "the keys of the last connection stay listed");

        await device.ConnectAsync();
        (await events.WaitForAsync(e => e.Type == DeviceEventType.NotifyStarted)).Data!["reason"]!.GetValue<string>().Should().Be("reconnect");
        (await rig.BlueZ.DeviceStateAsync(Address)).GetProperty("notifying")[0].GetString().Should().Be(BleRig.CounterUuid);
    }

    [Fact]
    public async Task Disconnect_on_request_disconnects_and_stays_disconnected()
    {
        var clock = new WatchedClock();
        var reconnectDelay = TimeSpan.FromSeconds(1);
        await using var rig = await BleRig.StartAsync(o =>
        {
            o.ReconnectDelay = reconnectDelay;
            o.ReconnectMaxDelay = reconnectDelay * 4;
            o.ConnectTimeout = o.PowerTimeout = TimeSpan.FromHours(1);
        }, clock, BleRig.Spec(Address, "Sensor 1"));
        var device = await rig.ConnectAsync(Address);
        await device.EnableNotificationsAsync("battery_level");
        await using var events = await device.SubscribeToEventsAsync();
        async Task<int> ConnectsAsync() => (await rig.BlueZ.CallsAsync()).Count(c => c == $"Connect:{Address}");
        bool IsReconnectWait(TimeSpan due) => due >= reconnectDelay && due <= reconnectDelay * 1.2;
        bool Reconnecting() => rig.Station.RunningBackgroundWork.Any(w => w.StartsWith("reconnect", StringComparison.Ordinal));

        // A drop is followed by a reconnect once its wait is over: this rig sees one when there is one.
        var before = clock.Dues.Count;
        await rig.BlueZ.Control.DropAsync(Address);
        await events.WaitForAsync(e => e.Type == DeviceEventType.Disconnected);
        clock.Advance((await clock.WaitForTimersAsync(1, IsReconnectWait, "the reconnect wait after a drop", since: before))[0]);
        await events.WaitForAsync(e => e.Type == DeviceEventType.Connected);
        (await ConnectsAsync()).Should().Be(2);
        await Deadline.UntilAsync(() => Task.FromResult(!Reconnecting()), "the reconnect after the drop is over");

        await device.DisconnectAsync();
        await events.WaitForAsync(e => e.Type == DeviceEventType.Disconnected);
        await Deadline.UntilAsync(() => Task.FromResult(rig.Log.Count(DeviceDisconnected, e => e.Value("How") == "on request") == 1),
            "the disconnect logged as requested");
        // A reconnect would have been started before that line: none runs, and none comes however long the clock runs.
        Reconnecting().Should().BeFalse();
        clock.Advance(reconnectDelay * 4 * 10);
        clock.Dues.Count(IsReconnectWait).Should().Be(1, "no reconnect wait was armed after the requested disconnect");
        (await ConnectsAsync()).Should().Be(2, "no Connect after a requested disconnect");
        (await rig.BlueZ.DeviceStateAsync(Address)).GetProperty("connected").GetBoolean().Should().BeFalse();
        await ExpectAsync(() => device.ReadValueAsync("battery_level"), ErrorCode.NotConnected);
        (await rig.Remote.ListConnectedDevicesAsync()).Should().BeEmpty();
        (await rig.Remote.ListDiscoveredDevicesAsync()).Should().Equal(Id);

        // Connecting again is a fresh start: notifications turned off by the disconnect stay off.
        await device.ConnectAsync();
        (await rig.BlueZ.DeviceStateAsync(Address)).GetProperty("notifying").GetArrayLength().Should().Be(0);
        (await ConnectsAsync()).Should().Be(3);
    }

    private static async Task<IoTException> ExpectAsync(Func<Task> action, ErrorCode code, string? contains = null)
    {
        var error = (await action.Should().ThrowAsync<IoTException>()).Which;
        error.Code.Should().Be(code, error.Message);
        if (contains is not null) error.Message.Should().Contain(contains);
        return error;
    }
}
