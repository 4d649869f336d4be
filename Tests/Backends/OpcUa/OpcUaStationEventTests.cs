using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MqttIoT.Gateway.Backends;
using MqttIoT.Gateway.Backends.OpcUa;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.OpcUa.Tests.Infrastructure;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace MqttIoT.Tests;

/// <summary>
/// The station request rule on the OPC UA backend: every station request that succeeds emits its event exactly once,
/// also when the station is in that state already; STOP_DISCOVERY and DISABLE_DISCOVERY stop a running browse.
/// </summary>
public class OpcUaStationEventTests(OpcUaServerFixture fixture) : IClassFixture<OpcUaServerFixture>
{
    [Fact]
    public async Task Start_and_stop_emit_their_event_also_when_the_station_is_in_that_state_already()
    {
        var events = new RecordingSink();
        await using var station = NewStation(fixture.Server.EndpointUrl, events);
        await station.StartAsync(Deadline.Token());
        await station.StartAsync(Deadline.Token());
        events.Stations(StationEventType.Started).Should().Be(2, "a START on a started station is answered with STARTED again");
        station.GetProps().Started.Should().BeTrue();

        await station.StopAsync(Deadline.Token());
        await station.StopAsync(Deadline.Token());
        events.Stations(StationEventType.Stopped).Should().Be(2, "a STOP on a stopped station is answered with STOPPED again");
    }

    [Fact]
    public async Task A_browse_that_ends_by_itself_emits_started_and_stopped_once_and_stop_discovery_emits_stopped()
    {
        var events = new RecordingSink();
        await using var station = NewStation(fixture.Server.EndpointUrl, events);
        await station.StartAsync(Deadline.Token());
        await station.StartDiscoveryAsync(Deadline.Token());
        events.Stations(StationEventType.DiscoveryStarted).Should().Be(1);
        events.Stations(StationEventType.DiscoveryStopped).Should().Be(1);
        station.GetKnownDevices().Should().HaveCount(4);

        await station.StopDiscoveryAsync(Deadline.Token());
        events.Stations(StationEventType.DiscoveryStopped).Should().Be(2, "STOP_DISCOVERY emits DISCOVERY_STOPPED although no browse ran");
        await station.DisableDiscoveryAsync(Deadline.Token());
        events.Stations(StationEventType.DiscoveryDisabled).Should().Be(1);
        events.Stations(StationEventType.DiscoveryStopped).Should().Be(2, "no browse ran for DISABLE_DISCOVERY to stop");
        var refused = () => station.StartDiscoveryAsync(Deadline.Token());
        (await refused.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.InvalidState);
        events.Stations(StationEventType.DiscoveryStarted).Should().Be(1, "a refused request emits nothing");
    }

    [Fact]
    public async Task Connect_and_disconnect_emit_their_event_also_when_the_device_is_in_that_state_already()
    {
        var events = new RecordingSink();
        await using var station = NewStation(fixture.Server.EndpointUrl, events);
        await station.StartAsync(Deadline.Token());
        await station.StartDiscoveryAsync(Deadline.Token());
        var device = station.GetKnownDevices()[0].Id;
        var connected = events.Stations(StationEventType.DeviceConnected);

        await station.ConnectAsync(device, Deadline.Token());
        await station.ConnectAsync(device, Deadline.Token());
        events.Stations(StationEventType.DeviceConnected).Should().Be(connected + 2, "a CONNECT of a connected device is answered with DEVICE_CONNECTED again");
        var disconnected = events.Stations(StationEventType.DeviceDisconnected);
        await station.DisconnectAsync(device, Deadline.Token());
        await station.DisconnectAsync(device, Deadline.Token());
        events.Stations(StationEventType.DeviceDisconnected).Should().Be(disconnected + 2, "a DISCONNECT of a disconnected device is answered with DEVICE_DISCONNECTED again");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stop_or_disable_discovery_stops_a_running_browse_with_one_discovery_stopped(bool disable)
    {
        // Not node-opcua: a browse that runs until it is stopped, which no real server does on demand.
        var session = new StallingSession();
        var events = new RecordingSink();
        await using var station = NewStation("opc.tcp://127.0.0.1:1/stall", events, (_, _) => Task.FromResult<IOpcUaSession>(session));
        await station.StartAsync(Deadline.Token());
        var discovery = station.StartDiscoveryAsync(Deadline.Token());
        await session.BrowseStarted.Task.WaitAsync(Deadline.Token());
        station.GetProps().Discovering.Should().BeTrue();

        // A second START_DISCOVERY while one runs succeeds and says so; it does not start a second browse.
        await station.StartDiscoveryAsync(Deadline.Token());
        events.Stations(StationEventType.DiscoveryStarted).Should().Be(2);

        if (disable) await station.DisableDiscoveryAsync(Deadline.Token());
        else await station.StopDiscoveryAsync(Deadline.Token());
        await discovery.WaitAsync(Deadline.Token());
        session.BrowseCancelled.Should().BeTrue("the running browse was cancelled");
        station.GetProps().Discovering.Should().BeFalse();
        events.Stations(StationEventType.DiscoveryStopped).Should().Be(1, "the stop emits it, and the stopped browse does not again");
        events.Stations(StationEventType.DiscoveryDisabled).Should().Be(disable ? 1 : 0);
        session.Browses.Should().Be(1);
    }

    private static OpcUaStation NewStation(string endpoint, RecordingSink sink, Func<OpcUaClientOptions, CancellationToken, Task<IOpcUaSession>>? connect = null)
    {
        var station = new OpcUaStation(new OpcUaStationOptions
        {
            StationId = "opcua-events", Endpoint = endpoint, RootNode = "ns=1;s=Plant",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        }, NullLoggerFactory.Instance, connect: connect);
        station.SetEventSink(sink);
        return station;
    }

    private sealed class RecordingSink : IBackendEventSink
    {
        private readonly ConcurrentQueue<StationEventType> _station = new();

        public int Stations(StationEventType type) => _station.Count(t => t == type);

        public void OnStationEvent(StationEventType type, string? device = null, JsonObject? data = null) => _station.Enqueue(type);
        public void OnDeviceEvent(string device, DeviceEventType type, string? key = null, JsonObject? data = null) { }
        public void OnNotified(string device, string key, ReadOnlyMemory<byte> value, JsonObject? extra = null) { }
        public void OnDeviceRemoved(string device) { }
    }

    /// <summary>A connected session whose Browse runs until it is cancelled.</summary>
    private sealed class StallingSession : IOpcUaSession
    {
        private int _browses;

        public TaskCompletionSource BrowseStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool BrowseCancelled { get; private set; }
        public int Browses => Volatile.Read(ref _browses);
        public string EndpointUrl => "opc.tcp://127.0.0.1:1/stall";
        public NodeId SessionId => NodeId.Null;
        public bool IsConnected => true;
        public event Action<OpcUaException>? ConnectionLost { add { } remove { } }

        public async Task<IReadOnlyList<BrowseResult>> BrowseAsync(IReadOnlyList<BrowseDescription> nodesToBrowse, uint requestedMaxReferencesPerNode,
            CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _browses);
            BrowseStarted.TrySetResult();
            try { await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken); }
            catch (OperationCanceledException) { BrowseCancelled = true; throw; }
            throw new InvalidOperationException("unreachable");
        }

        // The station reads the server's operation limits on each link; this server has none to tell.
        public Task<IReadOnlyList<DataValue>> ReadAsync(IReadOnlyList<ReadValueId> nodesToRead, double maxAge, TimestampsToReturn timestampsToReturn,
            CancellationToken cancellationToken) => throw new OpcUaException(StatusCodes.BadServiceUnsupported, "the stalling session reads nothing");
        public Task<IReadOnlyList<StatusCode>> WriteAsync(IReadOnlyList<WriteValue> nodesToWrite, CancellationToken cancellationToken) => throw Unused();
        public Task<IReadOnlyList<BrowseResult>> BrowseNextAsync(IReadOnlyList<byte[]> continuationPoints, bool releaseContinuationPoints,
            CancellationToken cancellationToken) => throw Unused();
        public Task<IReadOnlyList<CallMethodResult>> CallAsync(IReadOnlyList<CallMethodRequest> methodsToCall, CancellationToken cancellationToken) => throw Unused();
        public Task<OpcUaSubscription> CreateSubscriptionAsync(SubscriptionOptions options, CancellationToken cancellationToken) => throw Unused();
        public Task CloseAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static InvalidOperationException Unused() => new("not used by this test");
    }
}
