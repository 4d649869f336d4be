using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using MqttIoT.Gateway.Backends.OpcUa;
using MqttIoT.OpcUa.Testing;
using MqttIoT.OpcUa.Tests.Infrastructure;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MqttIoT.Tests;

/// <summary>
/// The OPC UA backend end to end: a real node-opcua server, the gateway on an <see cref="OpcUaStation"/>, the Sdk
/// over the embedded broker.
/// </summary>
public class OpcUaBackendTests(OpcUaServerFixture fixture, ITestOutputHelper output) : IClassFixture<OpcUaServerFixture>
{
    private const string Boiler1 = "ns=1;s=Boiler1";
    private const string Pump1 = "ns=1;s=Pump1";

    internal static Func<Microsoft.Extensions.Logging.ILoggerFactory, OpcUaStation> Station(string endpoint, Action<OpcUaStationOptions>? configure = null) => loggers =>
    {
        var options = new OpcUaStationOptions
        {
            StationId = "opcua-1", Endpoint = endpoint, RootNode = "ns=1;s=Plant",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
            PublishingInterval = TimeSpan.FromMilliseconds(50),
        };
        options.Client.KeepAliveInterval = TimeSpan.FromSeconds(1);
        configure?.Invoke(options);
        return new OpcUaStation(options, loggers);
    };

    private async Task<TestEnvironment> StartAsync(Action<OpcUaStationOptions>? configure = null, bool connectAll = true)
    {
        return await TestEnvironment.StartAsync(Station(fixture.Server.EndpointUrl, configure), connectAll);
    }

    [Fact]
    public async Task Discovery_reports_each_object_as_a_device_with_its_variables_as_keys_and_their_types()
    {
        await using var env = await StartAsync();
        var client = await env.ConnectClientAsync();
        var station = client.GetStation("opcua-1");
        (await station.ListConnectedDevicesAsync()).Should().BeEquivalentTo(Boiler1, "ns=1;s=Boiler2", Pump1, "ns=1;s=Bulk");

        var props = await station.GetDevicePropsAsync(Boiler1);
        props.Keys.Should().BeEquivalentTo("Temperature", "Counter", "Setpoint", "Label", "Config");
        props.Attributes!["nodeId"]!.GetValue<string>().Should().Be(Boiler1);
        props.Attributes["variables"]!["Temperature"]!["dataType"]!.GetValue<string>().Should().Be("Double");
        props.Attributes["variables"]!["Setpoint"]!["nodeId"]!.GetValue<string>().Should().Be("ns=1;s=Boiler1.Setpoint");
        props.Attributes["methods"]!.AsArray().Select(m => m!.GetValue<string>()).Should().BeEquivalentTo("Reset", "SetTime");
        (await station.GetDeviceKeysAsync("ns=1;s=Bulk")).Should().HaveCount(301, "300 tags and the blob, past BrowseNext");

        var stationProps = await station.GetPropsAsync();
        stationProps.Backend.Should().Be("opcua");
        stationProps.Attributes!["connection"]!.GetValue<string>().Should().Be("connected");
        output.WriteLine($"discovery (browse of 4 objects and {props.Keys.Count + 301 + 2 + 5} variables, plus their types): {stationProps.Attributes["lastDiscoveryMs"]} ms");
    }

    [Fact]
    public async Task Values_cross_the_wire_in_the_byte_encoding_of_their_OPC_UA_type()
    {
        await using var env = await StartAsync();
        var client = await env.ConnectClientAsync();
        var boiler = client.GetDevice("opcua-1", Boiler1);

        (await boiler.WriteValueAsync("Setpoint", Int32(25))).Should().Be(4);
        BinaryPrimitives.ReadInt32LittleEndian(await boiler.ReadValueAsync("Setpoint")).Should().Be(25);
        await boiler.WriteTextAsync("Label", "Kessel 1 🔥");
        Encoding.UTF8.GetString(await boiler.ReadValueAsync("Label")).Should().Be("Kessel 1 🔥");
        await boiler.WriteValueAsync("Config", new byte[] { 9, 8, 7 });
        (await boiler.ReadValueAsync("Config")).Should().Equal(9, 8, 7);
        var temperature = await boiler.ReadValueAsync("Temperature");
        temperature.Should().HaveCount(8);
        BinaryPrimitives.ReadDoubleLittleEndian(temperature).Should().BeInRange(-100, 200);

        var pump = client.GetDevice("opcua-1", Pump1);
        var speed = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(speed, 1234.5f);
        await pump.WriteValueAsync("Speed", speed);
        BinaryPrimitives.ReadSingleLittleEndian(await pump.ReadValueAsync("Speed")).Should().Be(1234.5f);
        await pump.WriteValueAsync("Running", new byte[] { 0 });
        (await pump.ReadValueAsync("Running")).Should().Equal(0);

        // A read round trip through broker, gateway and OPC UA server.
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 50; i++) await boiler.ReadValueAsync("Setpoint");
        output.WriteLine($"READ_VALUE through the gateway: {watch.Elapsed.TotalMilliseconds / 50:0.00} ms per read (mean of 50)");
    }

    [Fact]
    public async Task A_key_of_an_abstract_DataType_reads_notifies_and_writes_back_as_one_whole_Variant()
    {
        await using var env = await StartAsync();
        var client = await env.ConnectClientAsync();
        var pump = client.GetDevice("opcua-1", Pump1);
        var mode = (await client.GetStation("opcua-1").GetDevicePropsAsync(Pump1)).Attributes!["variables"]!["Mode"]!;
        mode["dataType"]!.GetValue<string>().Should().Be("Variant");
        mode["dataTypeId"]!.GetValue<string>().Should().Be("i=24", "BaseDataType: a value of any type fits");

        var read = await pump.ReadValueAsync("Mode");
        read.Should().Equal(DoubleVariant(3.5), "the props say Variant, so the Double comes with its type byte");
        (await pump.WriteValueAsync("Mode", read)).Should().Be(9, "what a read gave is what a write takes");
        (await pump.ReadValueAsync("Mode")).Should().Equal(read);

        byte[] auto = [0x0c, 4, 0, 0, 0, .. "auto"u8]; // Variant of String "auto"
        await pump.WriteValueAsync("Mode", auto);
        (await pump.ReadValueAsync("Mode")).Should().Equal(auto);

        await using var notes = await pump.SubscribeToNotificationsAsync("Mode");
        await pump.EnableNotificationsAsync("Mode");
        var note = await notes.WaitForAsync(_ => true);
        note.Value.Should().Equal(auto);
        note.Data!["dataType"]!.GetValue<string>().Should().Be("Variant");
        await pump.DisableNotificationsAsync("Mode");
        await pump.WriteValueAsync("Mode", DoubleVariant(3.5));
    }

    [Fact]
    public async Task A_write_of_the_wrong_type_is_refused_with_BadTypeMismatch_and_a_read_only_key_with_UNSUPPORTED()
    {
        await using var env = await StartAsync();
        var boiler = (await env.ConnectClientAsync()).GetDevice("opcua-1", Boiler1);

        var wrongSize = () => boiler.WriteValueAsync("Setpoint", new byte[] { 1, 2, 3 });
        var error = (await wrongSize.Should().ThrowAsync<IoTException>()).Which;
        error.Code.Should().Be(ErrorCode.BadRequest);
        error.Message.Should().Contain("BadTypeMismatch").And.Contain("Int32");
        var notText = () => boiler.WriteValueAsync("Label", new byte[] { 0xff, 0xfe });
        (await notText.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.BadRequest);

        var readOnly = () => boiler.WriteValueAsync("Temperature", Double(1.5));
        var refused = (await readOnly.Should().ThrowAsync<IoTException>()).Which;
        refused.Code.Should().Be(ErrorCode.Unsupported);
        refused.Message.Should().Contain("BadNotWritable");
    }

    [Fact]
    public async Task Unknown_keys_devices_and_nodes_are_reported_as_such()
    {
        await using var env = await StartAsync();
        var client = await env.ConnectClientAsync();
        var unknownKey = () => client.GetDevice("opcua-1", Boiler1).ReadValueAsync("Humidity");
        (await unknownKey.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownKey);
        var unknownDevice = () => client.GetStation("opcua-1").ConnectDeviceAsync("ns=1;s=Nope");
        (await unknownDevice.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.UnknownDevice);

        await using var bad = await TestEnvironment.StartAsync(Station(fixture.Server.EndpointUrl, o =>
        {
            o.StationId = "opcua-bad";
            o.RootNode = "ns=1;s=NoSuchFolder";
        }), connectAll: false);
        var badStation = (await bad.ConnectClientAsync()).GetStation("opcua-bad");
        var discover = () => badStation.StartDiscoveryAsync();
        var failure = (await discover.Should().ThrowAsync<IoTException>()).Which;
        failure.Code.Should().Be(ErrorCode.BackendFailure);
        failure.Message.Should().Contain("ns=1;s=NoSuchFolder").And.Contain("BadNodeIdUnknown");
    }

    [Fact]
    public async Task Watched_keys_notify_with_value_type_source_timestamp_and_status()
    {
        await using var env = await StartAsync();
        var boiler = (await env.ConnectClientAsync()).GetDevice("opcua-1", "ns=1;s=Boiler2");
        await using var notes = await boiler.SubscribeToNotificationsAsync("Temperature");
        await using var events = await boiler.SubscribeToEventsAsync(DeviceEventType.NotifyStopped);
        await boiler.EnableNotificationsAsync("Temperature");
        var received = await notes.CollectAsync(3);
        foreach (var note in received)
        {
            note.Key.Should().Be("Temperature");
            note.Value.Should().HaveCount(8);
            note.Data!["dataType"]!.GetValue<string>().Should().Be("Double");
            note.Data["status"]!.GetValue<string>().Should().Be("Good");
            note.Data["sourceTimestamp"]!.GetValue<DateTimeOffset>().Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30));
        }
        await boiler.DisableNotificationsAsync("Temperature");
        (await events.WaitForAsync(_ => true)).Key.Should().Be("Temperature");
    }

    [Fact]
    public async Task Time_requests_use_the_server_clock_and_the_object_methods()
    {
        await using var env = await StartAsync();
        var client = await env.ConnectClientAsync();
        var boiler = client.GetDevice("opcua-1", Boiler1);

        var synced = await boiler.SyncTimeAsync();
        Math.Abs(synced.OffsetMs).Should().BeLessThan(2000, "the server runs on this machine's clock");
        synced.DeviceTime.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5));

        (await boiler.SetTimeAsync()).OffsetMs.Should().Be(1500, "the test server's boiler clock starts 1.5 s ahead");
        (await boiler.SetTimeAsync()).OffsetMs.Should().Be(0);

        await boiler.WriteValueAsync("Setpoint", Int32(30));
        await boiler.ResetAsync();
        BinaryPrimitives.ReadInt32LittleEndian(await boiler.ReadValueAsync("Setpoint")).Should().Be(20, "Reset() puts the setpoint back");

        var pump = client.GetDevice("opcua-1", Pump1);
        var noReset = () => pump.ResetAsync();
        (await noReset.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.Unsupported);
        var noClock = () => pump.SetTimeAsync();
        (await noClock.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.Unsupported);
    }

    [Fact]
    public async Task When_the_server_stops_and_comes_back_devices_reconnect_and_watched_keys_notify_again()
    {
        await using var server = await OpcUaTestServer.StartAsync();
        await using var env = await TestEnvironment.StartAsync(Station(server.EndpointUrl));
        var client = await env.ConnectClientAsync();
        var boiler = client.GetDevice("opcua-1", Boiler1);
        await using var deviceEvents = await boiler.SubscribeToEventsAsync();
        await using var notes = await boiler.SubscribeToNotificationsAsync("Counter");
        await boiler.EnableNotificationsAsync("Counter");
        await notes.WaitForAsync(_ => true);

        await server.StopAsync();
        var down = await deviceEvents.WaitForAsync(e => e.Type == DeviceEventType.Disconnected);
        down.Data!["reason"]!.GetValue<string>().Should().NotBeNullOrEmpty();
        var whileDown = () => boiler.ReadValueAsync("Counter");
        (await whileDown.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.NotConnected);

        await server.RestartAsync();
        // The device is back before any value of the restored watch is: CONNECTED comes first.
        var up = await deviceEvents.WaitForAsync(e => e.Type is DeviceEventType.Connected or DeviceEventType.Notified, TimeSpan.FromSeconds(20));
        up.Type.Should().Be(DeviceEventType.Connected);
        up.Data!["reconnected"]!.GetValue<bool>().Should().BeTrue();
        up.Data["watchedKeys"]!.AsArray().Select(k => k!.GetValue<string>()).Should().Equal("Counter");
        // The restarted server counts from 0 again: a small counter proves it comes from the new server, unasked.
        var after = await notes.WaitForAsync(n => BinaryPrimitives.ReadUInt32LittleEndian(n.Value) < 100, TimeSpan.FromSeconds(20));
        after.Data!["dataType"]!.GetValue<string>().Should().Be("UInt32");
        (await boiler.ReadValueAsync("Setpoint")).Should().HaveCount(4);
        var props = await client.GetStation("opcua-1").GetPropsAsync();
        props.Attributes!["reconnects"]!.GetValue<int>().Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task A_link_that_breaks_as_soon_as_it_is_made_is_made_again_only_after_a_doubling_delay()
    {
        // Not node-opcua: a session that is lost the moment it is made, which no real server can be made to do on
        // demand. The station's delays are read off the clock it is given.
        var time = new RecordingTimeProvider();
        int connects = 0;
        var options = new OpcUaStationOptions
        {
            StationId = "opcua-flap", Endpoint = "opc.tcp://127.0.0.1:1/none", RootNode = "i=85",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
            // Without jitter, so the delays read off the clock are the doubling steps themselves.
            ReconnectJitter = 0,
        };
        await using var station = new OpcUaStation(options, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, time, async (_, ct) =>
        {
            // Without backoff this would spin: stop it after a few rounds so the test fails instead of hanging.
            if (Interlocked.Increment(ref connects) > 8) await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return new LostSession();
        });
        await station.StartAsync(Deadline.Token());
        await Deadline.UntilAsync(() => Task.FromResult(time.Timers.Count >= 4), "four reconnect delays");
        var delays = time.Timers.Select(t => t.Due.TotalMilliseconds).ToList();
        output.WriteLine($"{Volatile.Read(ref connects)} connects, delays {string.Join(", ", delays)} ms");
        delays.Take(4).Should().Equal([100, 200, 400, 400], "each short-lived link doubles the wait, up to the maximum");
        Volatile.Read(ref connects).Should().BeLessThanOrEqualTo(time.Timers.Count + 1, "no connect happens without a wait before it");
    }

    /// <summary>An <see cref="MqttIoT.OpcUa.IOpcUaSession"/> whose link is already gone.</summary>
    private sealed class LostSession : MqttIoT.OpcUa.IOpcUaSession
    {
        public string EndpointUrl => "opc.tcp://127.0.0.1:1/none";
        public MqttIoT.OpcUa.Binary.NodeId SessionId => MqttIoT.OpcUa.Binary.NodeId.Null;
        public bool IsConnected => false;
        public event Action<MqttIoT.OpcUa.OpcUaException>? ConnectionLost { add { } remove { } }
        public Task<IReadOnlyList<MqttIoT.OpcUa.Binary.DataValue>> ReadAsync(IReadOnlyList<MqttIoT.OpcUa.Services.ReadValueId> nodesToRead, double maxAge,
            MqttIoT.OpcUa.Services.TimestampsToReturn timestampsToReturn, CancellationToken cancellationToken) => throw Gone();
        public Task<IReadOnlyList<MqttIoT.OpcUa.Binary.StatusCode>> WriteAsync(IReadOnlyList<MqttIoT.OpcUa.Services.WriteValue> nodesToWrite,
            CancellationToken cancellationToken) => throw Gone();
        public Task<IReadOnlyList<MqttIoT.OpcUa.Services.BrowseResult>> BrowseAsync(IReadOnlyList<MqttIoT.OpcUa.Services.BrowseDescription> nodesToBrowse,
            uint requestedMaxReferencesPerNode, CancellationToken cancellationToken) => throw Gone();
        public Task<IReadOnlyList<MqttIoT.OpcUa.Services.BrowseResult>> BrowseNextAsync(IReadOnlyList<byte[]> continuationPoints,
            bool releaseContinuationPoints, CancellationToken cancellationToken) => throw Gone();
        public Task<IReadOnlyList<MqttIoT.OpcUa.Services.CallMethodResult>> CallAsync(IReadOnlyList<MqttIoT.OpcUa.Services.CallMethodRequest> methodsToCall,
            CancellationToken cancellationToken) => throw Gone();
        public Task<MqttIoT.OpcUa.OpcUaSubscription> CreateSubscriptionAsync(MqttIoT.OpcUa.SubscriptionOptions options, CancellationToken cancellationToken) =>
            throw Gone();
        public Task CloseAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static MqttIoT.OpcUa.OpcUaException Gone() => new(MqttIoT.OpcUa.Binary.StatusCodes.BadServerNotConnected, "the test session is lost");
    }

    [Fact]
    public void The_gateway_command_line_selects_the_opcua_backend()
    {
        var cli = new Gateway.GatewayCommandLine();
        var root = new System.CommandLine.RootCommand();
        cli.AddTo(root);
        var parse = root.Parse(["--backend", "opcua", "--endpoint", "opc.tcp://127.0.0.1:4840/x", "--station", "plc-7", "--opcua-root", "ns=2;s=Line"]);
        var backend = cli.CreateBackend(parse, TimeProvider.System);
        backend.Should().BeOfType<OpcUaStation>();
        backend.Id.Should().Be("plc-7");
        backend.GetProps().Attributes!["rootNode"]!.GetValue<string>().Should().Be("ns=2;s=Line");
        var missing = () => cli.CreateBackend(root.Parse(["--backend", "opcua"]), TimeProvider.System);
        missing.Should().Throw<ArgumentException>().WithMessage("*--endpoint*");
    }

    [Fact]
    public void An_opcua_gateway_without_a_station_id_is_named_opcua_1_not_the_simulated_default()
    {
        var cli = new Gateway.GatewayCommandLine();
        var root = new System.CommandLine.RootCommand();
        cli.AddTo(root);
        cli.CreateBackend(root.Parse(["--backend", "opcua", "--endpoint", "opc.tcp://127.0.0.1:4840/x"]), TimeProvider.System).Id.Should().Be("opcua-1");
        cli.CreateBackend(root.Parse(["--backend", "simulated"]), TimeProvider.System).Id.Should().Be("sim-1");
    }

    private static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] DoubleVariant(double value) => [(byte)MqttIoT.OpcUa.Binary.BuiltInType.Double, .. Double(value)];

    private static byte[] Double(double value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        return bytes;
    }
}
