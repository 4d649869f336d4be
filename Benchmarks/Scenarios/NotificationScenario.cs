using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;
using MqttIoT.Benchmarks.Infrastructure;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk;

namespace MqttIoT.Benchmarks.Scenarios;

/// <summary>
/// Item 2: one simulated device notifying to 1, 10 and 100 Sdk subscribers (each its own IoTHubClient), against a
/// bare MQTTnet publisher publishing events of the same size at QoS 1 to as many bare subscribers, on the same
/// broker. The device notifies through the gateway's real path: the backend's event sink, the state publisher,
/// the broker. Throughput is first measured closed-loop (a window of messages not yet at every subscriber, so nothing
/// can overflow), then open-loop on a rate ladder from that figure (<see cref="RateLadder"/>): the highest rate with
/// nothing lost, nothing twice and everything on time is the figure compared; latency is measured open-loop at half
/// the Sdk's clean rate.
/// </summary>
public sealed class NotificationScenario : IScenario
{
    private const string Station = "notify";
    private const string BareTopic = "iot/v1/stations/bare/devices/dev-0001/events/NOTIFIED/setpoint";
    private const int Window = 200;
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public string Name => "notify";

    /// <inheritdoc />
    public string Title => "2. Notifications: a simulated device to 1, 10, 100 Sdk subscribers vs bare QoS 1 publishes to bare subscribers";

    /// <inheritdoc />
    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        int deliveries = context.Scale(600, 6_000);
        foreach (var kind in context.Options.Brokers)
        {
            await using var broker = await context.StartBrokerAsync(kind);
            await using var gateway = await InProcessGateway.StartAsync(context, broker.Port, Station, 1, cancellationToken);
            var device = gateway.Station.AllDevices[0];
            await device.EnableNotificationsAsync("setpoint", cancellationToken);
            await using var publisher = new BarePublisher(await BareMqtt.ConnectAsync(broker.Port, "bare-pub-" + Guid.NewGuid().ToString("N")[..6], cancellationToken));
            foreach (var subscribers in new[] { 1, 10, 100 })
            {
                context.Log($"{Name} on {broker.Name}: {subscribers} subscriber(s)");
                var messages = Math.Max(context.Scale(100, 300), deliveries / subscribers);
                await using var sdk = await SdkSubscribers.StartAsync(context, broker.Port, subscribers, cancellationToken);
                await using var bare = await BareSubscribers.StartAsync(broker.Port, subscribers, cancellationToken);
                Func<int, ValueTask> notify = seq => new(device.WriteValueAsync("setpoint", Setpoint(seq), true, cancellationToken));
                Func<int, ValueTask> publish = seq => publisher.Publish(seq);

                // A short warm-up of both paths, then closed-loop throughput, baseline first; the closed-loop figures
                // seed the open-loop ladders, whose highest clean rates are the figures compared.
                await ClosedLoopAsync(bare.Use, publish, Math.Min(messages, 200), subscribers, cancellationToken);
                await ClosedLoopAsync(sdk.Use, notify, Math.Min(messages, 200), subscribers, cancellationToken);
                var bareRun = await ClosedLoopAsync(bare.Use, publish, messages, subscribers, cancellationToken);
                var sdkRun = await ClosedLoopAsync(sdk.Use, notify, messages, subscribers, cancellationToken);
                var bareLadder = await RateLadder.ClimbAsync(bareRun.PerSecond / subscribers, subscribers, context.Quick, messages, bare.Use, publish, cancellationToken);
                var sdkLadder = await RateLadder.ClimbAsync(sdkRun.PerSecond / subscribers, subscribers, context.Quick, messages, sdk.Use, notify, cancellationToken);
                double sdkRate = sdkLadder.CleanRate * subscribers, bareRate = bareLadder.CleanRate * subscribers;
                var (text, met) = Target.AtLeastTimes(sdkRate, bareRate, 0.8);
                context.Add(new ResultRow("2 notifications", $"deliveries/s to {subscribers} subscriber(s), highest open-loop rate with nothing lost", broker.Name,
                    sdkRate, bareRate, "deliv/s", text, met == true && sdkRate > 0,
                    $"msg/s at the sender: Sdk {sdkLadder.Describe("msg/s")}, bare {bareLadder.Describe("msg/s")}"));
                context.Add(new ResultRow("2 notifications", $"deliveries/s to {subscribers} subscriber(s), closed loop of {Window} in flight ({messages:N0} msgs)", broker.Name,
                    sdkRun.PerSecond, bareRun.PerSecond, "deliv/s", "", null,
                    $"CPU per delivery in the benchmark process (publisher side + all subscribers): Sdk+gateway {sdkRun.CpuPerDelivery:0} us, bare {bareRun.CpuPerDelivery:0} us" +
                    (Anomalies(sdkRun, bareRun) is { Length: > 0 } lost ? "; " + lost : "")));

                // Latency at half the Sdk's highest clean rate, the same offered rate for both.
                var rate = sdkLadder.CleanRate / 2;
                if (!(rate >= 1)) continue;
                var count = (int)Math.Clamp(rate * context.Scale(1, 2), 50, messages);
                var first = Math.Max(sdkLadder.NextSequence, bareLadder.NextSequence);
                var bareLat = await PacedRun.RunAsync(first, count, subscribers, rate, Stall, Stall, true, bare.Use, publish, cancellationToken);
                var sdkLat = await PacedRun.RunAsync(first, count, subscribers, rate, Stall, Stall, true, sdk.Use, notify, cancellationToken);
                context.Add(new ResultRow("2 notifications", $"p99 latency to {subscribers} subscriber(s) at {rate:0} msg/s ({count:N0} msgs)", broker.Name,
                    sdkLat.P99, bareLat.P99, "ms", "", null,
                    string.Join("; ", new[] { ("Sdk", sdkLat.Problems()), ("bare", bareLat.Problems()) }.Where(p => p.Item2.Length > 0).Select(p => $"{p.Item1}: {p.Item2}"))));
            }
            if (publisher.Failures > 0) throw new InvalidOperationException($"{publisher.Failures} bare publishes failed");
        }
    }

    private static string Anomalies(Run sdk, Run bare) =>
        sdk.Anomalies.Length == 0 && bare.Anomalies.Length == 0 ? "" : $"LOST or repeated: Sdk {Or(sdk.Anomalies)}, bare {Or(bare.Anomalies)}";

    private static string Or(string anomalies) => anomalies.Length == 0 ? "none" : anomalies;

    private static byte[] Setpoint(int seq) => Encoding.UTF8.GetBytes("10." + seq.ToString("D9", CultureInfo.InvariantCulture));

    /// <summary>The sequence number in a setpoint notification ("10.000000042" is 42).</summary>
    internal static int SequenceOf(ReadOnlySpan<byte> value) =>
        value.Length == 12 && int.TryParse(value[3..], NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : -1;

    private sealed record Run(double PerSecond, string Anomalies, double CpuPerDelivery);

    private static async Task<Run> ClosedLoopAsync(Action<DeliveryTracker?> use, Func<int, ValueTask> send, int messages, int subscribers,
        CancellationToken cancellationToken)
    {
        var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var run = await ClosedLoop.RunAsync(messages, subscribers, Window, RunLimit, Stall, use, send, cancellationToken);
        self.Refresh();
        var cpu = (self.TotalProcessorTime - cpuBefore).TotalMicroseconds / Math.Max(1, run.Deliveries);
        return new Run(run.PerSecond, run.Anomalies, cpu);
    }

    /// <summary>N Sdk clients, each with a subscription to the device's setpoint notifications and a reader.</summary>
    private sealed class SdkSubscribers : IAsyncDisposable
    {
        private readonly List<IoTHubClient> _clients = [];
        private readonly List<Task> _readers = [];
        private volatile DeliveryTracker? _tracker;

        public void Use(DeliveryTracker? tracker) => _tracker = tracker;

        public static async Task<SdkSubscribers> StartAsync(BenchContext context, int port, int count, CancellationToken cancellationToken)
        {
            var set = new SdkSubscribers();
            try
            {
                for (int i = 0; i < count; i++)
                {
                    var index = i;
                    var client = await IoTHubClient.ConnectAsync(new IoTHubClientOptions { Port = port }, context.LoggerFactory, cancellationToken: cancellationToken);
                    set._clients.Add(client);
                    var subscription = await client.GetDevice(Station, "dev-0001").SubscribeToNotificationsAsync("setpoint", cancellationToken);
                    set._readers.Add(Task.Run(async () =>
                    {
                        await foreach (var e in subscription)
                            if (e.Value is { } v) set._tracker?.Delivered(index, SequenceOf(v));
                    }, CancellationToken.None));
                }
            }
            catch
            {
                await set.DisposeAsync();
                throw;
            }
            return set;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in _clients) await c.DisposeAsync();
            await Task.WhenAll(_readers);
        }
    }

    /// <summary>N bare MQTTnet subscribers (QoS 1) to the baseline's topic.</summary>
    private sealed class BareSubscribers : IAsyncDisposable
    {
        private readonly List<IMqttClient> _clients = [];
        private volatile DeliveryTracker? _tracker;

        public void Use(DeliveryTracker? tracker) => _tracker = tracker;

        public static async Task<BareSubscribers> StartAsync(int port, int count, CancellationToken cancellationToken)
        {
            var set = new BareSubscribers();
            try
            {
                for (int i = 0; i < count; i++)
                {
                    var index = i;
                    var client = await BareMqtt.ConnectAsync(port, "bare-sub-" + Guid.NewGuid().ToString("N")[..8], cancellationToken);
                    set._clients.Add(client);
                    client.ApplicationMessageReceivedAsync += e =>
                    {
                        set._tracker?.Delivered(index, e.ApplicationMessage.Payload);
                        return Task.CompletedTask;
                    };
                    await BareMqtt.SubscribeAsync(client, BareTopic, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
                }
            }
            catch
            {
                await set.DisposeAsync();
                throw;
            }
            return set;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in _clients) await BareMqtt.CloseAsync(c);
        }
    }

    /// <summary>Bare QoS 1 publishes of an event-sized payload (the sequence number in its first 4 bytes), not waiting for each PUBACK.</summary>
    private sealed class BarePublisher(IMqttClient client) : IAsyncDisposable
    {
        // As long as the gateway's NOTIFIED event for the same value.
        private static readonly int PayloadLength = Encoding.UTF8.GetByteCount(
            """{"type":"NOTIFIED","station":"notify","device":"dev-0001","key":"setpoint","timestamp":"2026-11-25T09:12:01.5123456+00:00","data":{"value":"31302e303030303030303432","text":"10.000000042"}}""");
        private long _failures;

        public long Failures => Interlocked.Read(ref _failures);

        public ValueTask Publish(int seq)
        {
            var payload = new byte[PayloadLength];
            BinaryPrimitives.WriteInt32LittleEndian(payload, seq);
            var message = new MqttApplicationMessageBuilder().WithTopic(BareTopic).WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
            _ = PublishAsync(message);
            return ValueTask.CompletedTask;
        }

        private async Task PublishAsync(MqttApplicationMessage message)
        {
            try { await client.PublishAsync(message, CancellationToken.None); }
            catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
            {
                Interlocked.Increment(ref _failures);
            }
        }

        public async ValueTask DisposeAsync() => await BareMqtt.CloseAsync(client);
    }
}
