using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MqttIoT.Gateway.Backends;
using MqttIoT.Gateway.Backends.OpcUa;
using MqttIoT.OpcUa.Testing;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace MqttIoT.Tests;

/// <summary>
/// 5,000 monitored items on one station: each notifies, and after the server restarts all are made again, in batches
/// within the server's MaxMonitoredItemsPerCall (the test server allows 1,000 per call, so one call would be refused).
/// </summary>
public class OpcUaScaleTests(ITestOutputHelper output)
{
    private const int Items = 5000;
    private const string Many = "ns=1;s=Many";

    [Fact]
    public async Task Five_thousand_watched_keys_notify_and_are_restored_in_batches_after_the_server_restarts()
    {
        await using var server = await OpcUaTestServer.StartAsync("--many");
        var sink = new NotificationCounter();
        var options = new OpcUaStationOptions
        {
            StationId = "opcua-scale", Endpoint = server.EndpointUrl, RootNode = "i=85",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
            PublishingInterval = TimeSpan.FromMilliseconds(100),
        };
        options.Client.KeepAliveInterval = TimeSpan.FromSeconds(1);
        await using var station = new OpcUaStation(options, NullLoggerFactory.Instance);
        station.SetEventSink(sink);
        await station.StartAsync(Deadline.Token());
        await station.StartDiscoveryAsync(Deadline.Token());
        await station.ConnectAsync(Many, Deadline.Token());
        var device = station.FindDevice(Many)!;
        var keys = device.GetKeys();
        keys.Should().HaveCount(Items);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Every key asked for at once, as a client turning a whole device on would: the watcher batches them.
        await Task.WhenAll(keys.Select(k => device.EnableNotificationsAsync(k, Deadline.Token(TimeSpan.FromSeconds(60)))));
        await sink.AllNotified(Items).WaitAsync(TimeSpan.FromSeconds(120));
        output.WriteLine($"{Items} items watched and first notified in {watch.ElapsedMilliseconds} ms");

        sink.Reset();
        await server.StopAsync();
        await sink.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await server.RestartAsync();
        watch.Restart();
        await sink.AllNotified(Items).WaitAsync(TimeSpan.FromSeconds(120));
        output.WriteLine($"{Items} items restored and notified again in {watch.ElapsedMilliseconds} ms after the restart");
        sink.Reconnected.Task.IsCompleted.Should().BeTrue("the device came back CONNECTED with reconnected=true");
        sink.NotifyStopped.Should().Be(0, "no key failed to be watched again");
        station.Reconnects.Should().BeGreaterThanOrEqualTo(1);
    }

    private sealed class NotificationCounter : IBackendEventSink
    {
        private readonly ConcurrentDictionary<string, int> _seen = new(StringComparer.Ordinal);
        private TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _target = int.MaxValue;
        private int _notifyStopped;

        public TaskCompletionSource Reconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int NotifyStopped => Volatile.Read(ref _notifyStopped);

        public Task AllNotified(int count)
        {
            Volatile.Write(ref _target, count);
            if (_seen.Count >= count) _all.TrySetResult();
            return _all.Task;
        }

        public void Reset()
        {
            _seen.Clear();
            _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public void OnNotified(string device, string key, ReadOnlyMemory<byte> value, JsonObject? extra = null)
        {
            if (_seen.TryAdd(key, 1) && _seen.Count >= Volatile.Read(ref _target)) _all.TrySetResult();
        }

        public void OnDeviceEvent(string device, DeviceEventType type, string? key = null, JsonObject? data = null)
        {
            if (type == DeviceEventType.Connected && data?["reconnected"]?.GetValue<bool>() == true) Reconnected.TrySetResult();
            if (type == DeviceEventType.Disconnected) Disconnected.TrySetResult();
            if (type == DeviceEventType.NotifyStopped) Interlocked.Increment(ref _notifyStopped);
        }

        public void OnStationEvent(StationEventType type, string? device = null, JsonObject? data = null) { }
        public void OnDeviceRemoved(string device) { }
    }
}
