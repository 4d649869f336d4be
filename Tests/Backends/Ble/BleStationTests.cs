using System.CommandLine;
using System.Diagnostics;
using MqttIoT.Gateway;
using MqttIoT.Gateway.Backends.Ble;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Backends;
using MqttIoT.Tests.Ble;
using MqttIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MqttIoT.Tests;

/// <summary>The BLE station end to end: Sdk, embedded broker, gateway, BleStation, D-Bus, a BlueZ-shaped peer.</summary>
public class BleStationTests(ITestOutputHelper output)
{
    private const int StationStopped = 2311, PoweredOffFromOutside = 2315;

    [Fact]
    public async Task Start_powers_the_adapter_and_the_props_say_so()
    {
        await using var rig = await BleRig.StartAsync();
        await Deadline.UntilAsync(async () => (await rig.Remote.GetPropsAsync()).Started, "station started");
        var props = await rig.Remote.GetPropsAsync();
        props.Backend.Should().Be("ble");
        props.Attributes!["powered"]!.GetValue<bool>().Should().BeTrue();
        props.Attributes["address"]!.GetValue<string>().Should().Be("00:1A:7D:DA:71:13", "the adapter's address comes from BlueZ");
        (await rig.BlueZ.CallsAsync()).Should().Contain("Set:Powered=1");
    }

    [Fact]
    public async Task Discovery_sends_the_filter_and_reports_only_matching_devices_with_their_advertisement()
    {
        await using var rig = await BleRig.StartAsync(o => o.Filter = new BleDiscoveryFilter { ServiceUuids = ["180f"], RssiThreshold = -80 },
            BleRig.Spec("AA:00:00:00:00:01", "Sensor 1", rssi: -50, delayMs: 10,
                extra: new { manufacturerData = new Dictionary<string, string> { ["0x004c"] = "0215aa" }, serviceData = new Dictionary<string, string> { [BleRig.BatteryService] = "64" } }),
            BleRig.Spec("AA:00:00:00:00:02", "Other service", delayMs: 20, uuids: ["0000180d-0000-1000-8000-00805f9b34fb"]),
            BleRig.Spec("AA:00:00:00:00:03", "Far away", rssi: -95, delayMs: 30),
            BleRig.Spec("AA:00:00:00:00:04", "Sensor 4", rssi: -70, delayMs: 40));
        await using var events = await rig.Remote.SubscribeToEventsAsync();

        await rig.Remote.StartDiscoveryAsync();
        var first = await events.WaitForAsync(e => e.Type == StationEventType.DeviceDiscovered);
        first.Device.Should().Be(BleRig.DeviceId("AA:00:00:00:00:01"));
        first.Data!["address"]!.GetValue<string>().Should().Be("AA:00:00:00:00:01");
        first.Data["name"]!.GetValue<string>().Should().Be("Sensor 1");
        first.Data["rssi"]!.GetValue<int>().Should().Be(-50);
        first.Data["manufacturerData"]!["0x004c"]!.GetValue<string>().Should().Be("0215aa");
        first.Data["serviceData"]![BleRig.BatteryService]!.GetValue<string>().Should().Be("64");
        // The fourth appears last: by then the fake has shown the two that do not match, and they were not reported.
        var next = await events.WaitForAsync(e => e.Type == StationEventType.DeviceDiscovered);
        next.Device.Should().Be(BleRig.DeviceId("AA:00:00:00:00:04"));
        (await rig.Remote.ListKnownDevicesAsync()).Should().BeEquivalentTo(BleRig.DeviceId("AA:00:00:00:00:01"), BleRig.DeviceId("AA:00:00:00:00:04"));

        var filter = System.Text.Json.JsonDocument.Parse(await rig.BlueZ.Control.DiscoveryFilterAsync()).RootElement;
        filter.GetProperty("Transport").GetString().Should().Be("le");
        filter.GetProperty("RSSI").GetInt32().Should().Be(-80);
        filter.GetProperty("UUIDs")[0].GetString().Should().Be(BleRig.BatteryService);

        // The far device comes closer: its RSSI changes (PropertiesChanged) and it is checked again.
        await rig.BlueZ.Control.AddAdvertiserAsync(BleRig.Spec("AA:00:00:00:00:03", "Far away", rssi: -60, delayMs: 1));
        (await events.WaitForAsync(e => e.Type == StationEventType.DeviceDiscovered)).Device.Should().Be(BleRig.DeviceId("AA:00:00:00:00:03"));

        await rig.Remote.StopDiscoveryAsync();
        await events.WaitForAsync(e => e.Type == StationEventType.DiscoveryStopped);
        (await rig.Remote.GetPropsAsync()).Discovering.Should().BeFalse();
        (await rig.BlueZ.CallsAsync()).Should().ContainInOrder("SetDiscoveryFilter", "StartDiscovery", "StopDiscovery");
    }

    [Fact]
    public async Task Connect_waits_for_services_resolved_and_the_characteristics_become_keys()
    {
        const string address = "AA:00:00:00:00:11";
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(address, "Sensor 11", extra: new { resolveDelayMs = 150 }));
        var id = BleRig.DeviceId(address);
        await rig.DiscoverAsync(address);
        await using var events = await rig.Client.GetDevice(BleRig.StationId, id).SubscribeToEventsAsync(DeviceEventType.Connected);

        var watch = Stopwatch.StartNew();
        await rig.Remote.ConnectDeviceAsync(id);
        watch.Stop();
        output.WriteLine($"connect (link 10 ms + service discovery 150 ms in the fake) took {watch.Elapsed.TotalMilliseconds:0} ms end to end");
        watch.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(150), "CONNECT replies only once ServicesResolved is true");

        await events.WaitForAsync(_ => true);
        var keys = await rig.Remote.GetDeviceKeysAsync(id);
        keys.Should().Contain(["manufacturer_name", "model_number", "battery_level", "temperature", "current_time", BleRig.ConfigUuid, BleRig.CounterUuid, BleRig.ResetUuid]);
        var props = await rig.Remote.GetDevicePropsAsync(id);
        props.Connected.Should().BeTrue();
        props.Name.Should().Be("Sensor 11");
        props.Attributes!["servicesResolved"]!.GetValue<bool>().Should().BeTrue();
        props.Attributes["characteristics"]!["battery_level"]!.GetValue<string>().Should().Be("00002a19-0000-1000-8000-00805f9b34fb");
        (await rig.Remote.ListConnectedDevicesAsync()).Should().Equal(id);
    }

    [Fact]
    public async Task Connect_fails_clearly_when_services_never_resolve_and_the_link_is_given_up()
    {
        const string address = "AA:00:00:00:00:12";
        var clock = new WatchedClock();
        var connectTimeout = TimeSpan.FromSeconds(20);
        await using var rig = await BleRig.StartAsync(o => { o.ConnectTimeout = connectTimeout; o.PowerTimeout = TimeSpan.FromHours(1); }, clock,
            BleRig.Spec(address, "Stuck", extra: new { neverResolve = true }));
        // TODO(BLE, issue 13): once the connect has timed out, BleDevice disconnects the half-made link and then faults
        // its ready TaskCompletionSource ("dropped the link while its services were being resolved", BleDevice.cs
        // OnLinkChanged) with nobody awaiting it: an unobserved task exception. Remove this once it no longer does.
        TestEnvironment.ExpectUnobservedTaskException(e => e is IoTException { Code: ErrorCode.BackendFailure });
        await rig.DiscoverAsync(address);
        var connect = rig.Remote.ConnectDeviceAsync(BleRig.DeviceId(address));
        // The station's clock runs the CONNECT's timeout: once the link is up and the services are awaited, it runs out.
        var armed = (await clock.WaitForTimersAsync(1, d => d == connectTimeout, "the connect timeout"))[0];
        await Deadline.UntilAsync(async () => (await rig.BlueZ.DeviceStateAsync(address)).GetProperty("connected").GetBoolean(), "the link is up");
        clock.Advance(armed);
        var error = (await FluentActions.Awaiting(() => connect).Should().ThrowAsync<IoTException>()).Which;
        error.Code.Should().Be(ErrorCode.BackendFailure);
        error.Message.Should().Contain("did not connect and resolve its GATT services within 20 s");
        (await rig.BlueZ.DeviceStateAsync(address)).GetProperty("connected").GetBoolean().Should().BeFalse("the half-made link is disconnected");
    }

    [Fact]
    public async Task Connect_retries_a_failed_attempt()
    {
        const string address = "AA:00:00:00:00:13";
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(address, "Flaky", extra: new { failConnects = 1 }));
        await rig.ConnectAsync(address);
        (await rig.BlueZ.CallsAsync()).Count(c => c == $"Connect:{address}").Should().Be(2);
    }

    [Fact]
    public async Task Discovery_can_be_disabled_and_unknown_devices_are_refused()
    {
        await using var rig = await BleRig.StartAsync();
        await rig.Remote.DisableDiscoveryAsync();
        var start = () => rig.Remote.StartDiscoveryAsync();
        (await start.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.InvalidState);
        await rig.Remote.EnableDiscoveryAsync();
        await rig.Remote.StartDiscoveryAsync();
        var connect = () => rig.Remote.ConnectDeviceAsync(BleRig.DeviceId("AA:00:00:00:00:99"));
        (await connect.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownDevice);
    }

    [Fact]
    public async Task Adapter_powered_off_from_outside_stops_the_station_and_drops_the_devices()
    {
        const string address = "AA:00:00:00:00:14";
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(address, "Sensor 14"));
        await rig.ConnectAsync(address);
        await using var events = await rig.Remote.SubscribeToEventsAsync();

        await rig.BlueZ.Control.PowerOffAsync();
        await events.WaitForAsync(e => e.Type == StationEventType.DeviceDisconnected && e.Device == BleRig.DeviceId(address));
        await events.WaitForAsync(e => e.Type == StationEventType.Stopped);
        (await rig.Remote.GetPropsAsync()).Started.Should().BeFalse();
        rig.Log.Count(PoweredOffFromOutside).Should().Be(1);
        await rig.Remote.StartAsync();
        (await rig.Remote.GetPropsAsync()).Attributes!["powered"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public async Task Stop_disconnects_and_powers_off()
    {
        const string address = "AA:00:00:00:00:15";
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(address, "Sensor 15"));
        await rig.ConnectAsync(address);
        await rig.Remote.StopAsync();
        (await rig.BlueZ.DeviceStateAsync(address)).GetProperty("connected").GetBoolean().Should().BeFalse();
        (await rig.Remote.GetPropsAsync()).Should().Match<StationProps>(p => !p.Started && !p.Discovering);
        (await rig.BlueZ.CallsAsync()).Should().Contain("Set:Powered=0");
    }

    [Fact]
    public async Task The_stations_own_stop_is_not_logged_as_a_power_off_from_outside()
    {
        await using var rig = await BleRig.StartAsync();
        await using var events = await rig.Remote.SubscribeToEventsAsync(StationEventType.Stopped);
        await rig.Remote.StopAsync();
        await events.WaitForAsync(_ => true);
        // The adapter's Powered=false signal is the last thing BlueZ sends for the STOP; by then it was handled.
        await Deadline.UntilAsync(async () => (await rig.Remote.GetPropsAsync()).Attributes!["powered"]!.GetValue<bool>() == false, "the adapter says it is off");
        await Deadline.UntilAsync(() => Task.FromResult(rig.Log.Count(StationStopped) >= 1), "the stop logged");
        rig.Log.Count(PoweredOffFromOutside).Should().Be(0, string.Join("\n", rig.Log.AtLeast(Microsoft.Extensions.Logging.LogLevel.Information)));
        rig.Log.Count(StationStopped).Should().Be(1);
    }

    [Fact]
    public async Task After_a_clean_gateway_stop_the_retained_props_say_the_device_is_not_connected()
    {
        const string address = "AA:00:00:00:00:17";
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(address, "Sensor 17"));
        var topics = new TopicTree();
        string props = topics.DeviceProps(BleRig.StationId, BleRig.DeviceId(address)), availability = topics.DeviceAvailability(BleRig.StationId, BleRig.DeviceId(address));
        var raw = await rig.Env.ConnectRawAsync();
        await raw.SubscribeAsync(props);
        await rig.ConnectAsync(address);
        await raw.NextAsync(m => m.Payload.Length > 0 && System.Text.Json.JsonSerializer.Deserialize(m.Payload, ContractJson.Default.DeviceProps)!.Connected);

        await rig.Env.Gateway.StopAsync(Deadline.Token());
        await rig.Station.DisposeAsync();
        (await rig.BlueZ.DeviceStateAsync(address)).GetProperty("connected").GetBoolean().Should().BeFalse("the station let the device go");

        var after = await rig.Env.ConnectRawAsync();
        await after.SubscribeAsync(props);
        await after.SubscribeAsync(availability);
        var retained = await after.LatestOnTopicsAsync([props, availability], m => m.Retain);
        System.Text.Json.JsonSerializer.Deserialize(retained[props].Payload, ContractJson.Default.DeviceProps)!.Connected.Should().BeFalse();
        System.Text.Encoding.UTF8.GetString(retained[availability].Payload).Should().Be("offline");
    }

    [Fact]
    public async Task A_clean_shutdown_logs_no_error()
    {
        const string address = "AA:00:00:00:00:18";
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(address, "Sensor 18"));
        var device = await rig.ConnectAsync(address);
        await device.EnableNotificationsAsync(BleRig.CounterUuid);

        await rig.Env.Gateway.StopAsync(Deadline.Token());
        await rig.Station.DisposeAsync();
        rig.Log.AtLeast(Microsoft.Extensions.Logging.LogLevel.Error).Should().BeEmpty();
        rig.Log.AtLeast(Microsoft.Extensions.Logging.LogLevel.Warning).Should().BeEmpty();
    }

    [Fact]
    public async Task A_device_BlueZ_removes_leaves_and_its_retained_props_are_cleared()
    {
        const string address = "AA:00:00:00:00:16";
        await using var rig = await BleRig.StartAsync(null, BleRig.Spec(address, "Sensor 16"));
        var raw = await rig.Env.ConnectRawAsync();
        await raw.SubscribeAsync(new TopicTree().DeviceProps(BleRig.StationId, BleRig.DeviceId(address)));
        await rig.DiscoverAsync(address);
        await raw.NextAsync(m => m.Payload.Length > 0);

        await rig.BlueZ.Control.RemoveDeviceAsync(address);
        await raw.NextAsync(m => m.Payload.Length == 0);
        (await rig.Remote.ListKnownDevicesAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task A_missing_adapter_fails_start_with_a_clear_message()
    {
        await using var blueZ = await FakeBlueZ.StartAsync();
        await using var station = new BleStation(new BleStationOptions { Adapter = "hci7", DBusAddress = blueZ.Address });
        var start = () => station.StartAsync(Deadline.Token());
        (await start.Should().ThrowAsync<IoTException>()).Which.Message.Should().Contain("no adapter /org/bluez/hci7").And.Contain("/org/bluez/hci0");
    }

    [Theory]
    [InlineData(0, 30)]
    [InlineData(5, 2)]
    public void Reconnect_delays_out_of_range_are_refused(double min, double max)
    {
        var options = new BleStationOptions { ReconnectDelay = TimeSpan.FromSeconds(min), ReconnectMaxDelay = TimeSpan.FromSeconds(max) };
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*ReconnectMaxDelay*");
    }

    [Fact]
    public void The_command_line_selects_the_ble_backend_with_its_adapter_and_bus()
    {
        var cli = new GatewayCommandLine();
        var root = new RootCommand();
        cli.AddTo(root);
        var parse = root.Parse(["--backend", "ble", "--adapter", "hci1", "--dbus-address", "unix:path=/nowhere"]);
        var backend = cli.CreateBackend(parse, TimeProvider.System);
        backend.Should().BeOfType<BleStation>().Which.Id.Should().Be("ble-hci1");
        backend.GetProps().Attributes!["adapterPath"]!.GetValue<string>().Should().Be("/org/bluez/hci1");
    }

    [Fact]
    public async Task A_gateway_started_from_the_command_line_takes_its_filter_and_models_from_the_ble_config_file()
    {
        var file = await WriteConfigAsync($$"""
            {
              // a comment, as a config file may have
              "filter": { "transport": "le", "serviceUuids": ["180f"], "rssiThreshold": -80, "namePattern": "Sensor" },
              "models": [
                { "name": "labs-thermo", "namePrefix": "Thermo", "resetCharacteristic": "2a2b" },
                { "name": "mqttiot-sensor", "namePrefix": "Sensor", "resetCharacteristic": "{{BleRig.ResetUuid}}", "resetValue": [1] },
              ],
            }
            """);
        var cli = new GatewayCommandLine();
        var root = new RootCommand();
        cli.AddTo(root);
        await using var rig = await BleRig.StartWithBackendAsync(
            (bus, logs) => cli.CreateBackend(root.Parse(["--backend", "ble", "--adapter", "hci0", "--dbus-address", bus, "--ble-config", file]), TimeProvider.System, logs),
            BleRig.Spec("AA:00:00:00:00:21", "Sensor 21", rssi: -50, delayMs: 10),
            BleRig.Spec("AA:00:00:00:00:22", "Thermo 22", delayMs: 20),
            BleRig.Spec("AA:00:00:00:00:23", "Sensor far", rssi: -95, delayMs: 30),
            BleRig.Spec("AA:00:00:00:00:24", "Sensor heart", delayMs: 40, uuids: ["0000180d-0000-1000-8000-00805f9b34fb"]),
            BleRig.Spec("AA:00:00:00:00:25", "Sensor 25", rssi: -60, delayMs: 60));
        await using var events = await rig.Remote.SubscribeToEventsAsync(StationEventType.DeviceDiscovered);

        await rig.Remote.StartDiscoveryAsync();
        (await events.WaitForAsync(_ => true)).Device.Should().Be(BleRig.DeviceId("AA:00:00:00:00:21"));
        // The last to appear: by then the name, RSSI and service mismatches were shown by the fake and not reported.
        (await events.WaitForAsync(_ => true)).Device.Should().Be(BleRig.DeviceId("AA:00:00:00:00:25"));
        (await rig.Remote.ListKnownDevicesAsync()).Should().BeEquivalentTo(BleRig.DeviceId("AA:00:00:00:00:21"), BleRig.DeviceId("AA:00:00:00:00:25"));
        var filter = System.Text.Json.JsonDocument.Parse(await rig.BlueZ.Control.DiscoveryFilterAsync()).RootElement;
        filter.GetProperty("Transport").GetString().Should().Be("le");
        filter.GetProperty("UUIDs")[0].GetString().Should().Be(BleRig.BatteryService);
        filter.GetProperty("RSSI").GetInt32().Should().Be(-80);
        filter.GetProperty("Pattern").GetString().Should().Be("Sensor");

        var device = await rig.ConnectAsync("AA:00:00:00:00:21");
        (await rig.Remote.GetDevicePropsAsync(BleRig.DeviceId("AA:00:00:00:00:21"))).Attributes!["model"]!.GetValue<string>().Should().Be("mqttiot-sensor");
        await device.WriteValueAsync(BleRig.ConfigUuid, new byte[] { 7, 7 });
        await device.ResetAsync();
        (await device.ReadValueAsync(BleRig.ConfigUuid)).Should().Equal([1, 2, 3, 4], "the peer reset itself");
        var last = (await rig.BlueZ.DeviceStateAsync("AA:00:00:00:00:21")).GetProperty("writes").EnumerateArray().Last();
        last.GetProperty("uuid").GetString().Should().Be(BleRig.ResetUuid);
        last.GetProperty("value").GetString().Should().Be("01");
    }

    [Theory]
    [InlineData("""{"filter": {"rssi": -80}}""", "The JSON property 'rssi' could not be mapped")]
    [InlineData("""{"filter": {"rssiThreshold": "weak"}}""", "(at $.filter.rssiThreshold, line 1, column 36)")]
    [InlineData("""{"filter": {"serviceUuids": ["battery"]}}""", "'battery' is not a UUID")]
    [InlineData("""{"filter": {"transport": "usb"}}""", "Transport must be le, bredr or auto")]
    [InlineData("""{"models": [{"namePrefix": "Sensor"}]}""", "'name'")]
    [InlineData("""{"models": [{"name": "m", "namePrefix": "S", "resetCharacteristic": "reset"}]}""", "model 'm': 'reset' is not a UUID")]
    [InlineData("""{"models": [{"name": "m", "resetCharacteristic": "2a2b"}]}""", "model 'm' matches no device")]
    [InlineData("{\n  \"filter\": {\"transport\": \"le\",", "reached end of data (at $.filter, line 2, column")]
    [InlineData("null", "holds null")]
    public async Task A_bad_ble_config_file_fails_with_what_is_wrong_in_it(string json, string expected)
    {
        var file = await WriteConfigAsync(json);
        var error = CreateBleBackend(file).Should().Throw<ArgumentException>().Which;
        error.Message.Should().StartWith($"--ble-config {file}: ").And.Contain(expected);
        output.WriteLine(error.Message);
    }

    [Fact]
    public void A_missing_ble_config_file_is_named()
    {
        var file = Path.Combine(Path.GetTempPath(), $"mqttiot-no-such-{Guid.NewGuid():N}.json");
        CreateBleBackend(file).Should().Throw<ArgumentException>().WithMessage($"--ble-config {file}: no such file");
    }

    private static Action CreateBleBackend(string configFile) => () =>
    {
        var cli = new GatewayCommandLine();
        var root = new RootCommand();
        cli.AddTo(root);
        cli.CreateBackend(root.Parse(["--backend", "ble", "--dbus-address", "unix:path=/nowhere", "--ble-config", configFile]), TimeProvider.System);
    };

    private static async Task<string> WriteConfigAsync(string json)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("mqttiot-ble-config-").FullName, "ble.json");
        await File.WriteAllTextAsync(file, json);
        return file;
    }
}
