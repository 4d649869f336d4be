using System.Diagnostics;
using System.Text;
using MqttIoT.Benchmarks.Infrastructure;
using MqttIoT.Sdk;

namespace MqttIoT.Benchmarks.Scenarios;

/// <summary>
/// Item 1: READ_VALUE from the Sdk through the broker to a gateway on a simulated station and back, against two
/// bare MQTTnet clients doing MQTT v5 request/response (an echo responder) through the same broker. Latency at
/// concurrency 1 (p50..p99.9 after a warm-up), and requests/s with 16 and 64 requests in flight (spread over 64
/// devices: a gateway runs one request per device at a time).
/// </summary>
public sealed class RequestResponseScenario : IScenario
{
    private const string Station = "bench";
    private const int Devices = 64;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly byte[] ReadBody = Encoding.UTF8.GetBytes("""{"key":"temperature"}""");

    /// <inheritdoc />
    public string Name => "rr";

    /// <inheritdoc />
    public string Title => "1. Request/response: Sdk READ_VALUE through a gateway vs bare MQTTnet request/response (echo)";

    /// <inheritdoc />
    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        int warmup = context.Scale(100, 1_000), calls = context.Scale(300, 10_000), pipelined = context.Scale(300, 5_000);
        foreach (var kind in context.Options.Brokers)
        {
            await using var broker = await context.StartBrokerAsync(kind);
            context.Log($"{Name} on {broker.Name}: gateway with {Devices} devices, Sdk client, bare echo responder and requester");
            await using var gateway = await InProcessGateway.StartAsync(context, broker.Port, Station, Devices, cancellationToken);
            await using var hub = await IoTHubClient.ConnectAsync(new IoTHubClientOptions { Port = broker.Port, DefaultTimeout = Timeout },
                context.LoggerFactory, cancellationToken: cancellationToken);
            await using var echo = await BareEchoResponder.StartAsync(broker.Port, "iot/v1/stations/echo/devices/+/requests/+", cancellationToken);
            await using var bare = await BareRequester.StartAsync(broker.Port, cancellationToken);

            var devices = Enumerable.Range(1, Devices).Select(i => hub.GetDevice(Station, $"dev-{i:D4}")).ToArray();
            var echoTopics = Enumerable.Range(1, Devices).Select(i => $"iot/v1/stations/echo/devices/dev-{i:D4}/requests/READ_VALUE").ToArray();
            Func<int, Task> sdkCall = async slot => await devices[slot % Devices].ReadValueAsync("temperature", cancellationToken: cancellationToken);
            Func<int, Task> bareCall = slot => bare.RequestAsync(echoTopics[slot % Devices], ReadBody, Timeout, cancellationToken);

            // Warm both paths (JIT, pools, the broker's topic caches) before anything is measured.
            await LatencyRecorder.SerialAsync(sdkCall, warmup, null);
            await LatencyRecorder.SerialAsync(bareCall, warmup, null);

            var sdkLatency = new LatencyRecorder(calls);
            var bareLatency = new LatencyRecorder(calls);
            await LatencyRecorder.SerialAsync(bareCall, calls, bareLatency);
            await LatencyRecorder.SerialAsync(sdkCall, calls, sdkLatency);
            var s = sdkLatency.Percentiles(50, 90, 99, 99.9);
            var b = bareLatency.Percentiles(50, 90, 99, 99.9);
            string[] names = ["p50", "p90", "p99", "p99.9"];
            for (int i = 0; i < names.Length; i++)
            {
                var (text, met) = i == 0 ? Target.AtMostTimes(s[i], b[i], 1.25) : Target.None;
                context.Add(new ResultRow("1 request/response", $"READ_VALUE latency {names[i]}, concurrency 1 ({calls:N0} calls)", broker.Name,
                    s[i], b[i], "ms", text, met));
            }

            foreach (var inFlight in new[] { 16, 64 })
            {
                var (bareRate, bareCpu) = await PipelinedAsync(bareCall, pipelined, inFlight, broker);
                var (sdkRate, sdkCpu) = await PipelinedAsync(sdkCall, pipelined, inFlight, broker);
                var (text, met) = Target.AtLeastTimes(sdkRate, bareRate, 0.8);
                context.Add(new ResultRow("1 request/response", $"READ_VALUE throughput, {inFlight} in flight ({pipelined:N0} calls)", broker.Name,
                    sdkRate, bareRate, "req/s", text, met,
                    $"CPU per call (client + responder process / broker): Sdk+gateway {sdkCpu.Process:0} / {sdkCpu.Broker:0} us, bare {bareCpu.Process:0} / {bareCpu.Broker:0} us"));
            }
            if (echo.Failures > 0) throw new InvalidOperationException($"the echo responder failed {echo.Failures} replies");
        }
    }

    /// <summary>
    /// Requests/s with <paramref name="inFlight"/> callers, each on its own device, until <paramref name="total"/> calls are
    /// done; and the CPU each call cost, in microseconds, in this process (requester and responder) and in the broker.
    /// </summary>
    private static async Task<(double PerSecond, (double Process, double Broker) Cpu)> PipelinedAsync(Func<int, Task> call, int total, int inFlight,
        BrokerProcess broker)
    {
        int issued = 0;
        var self = Process.GetCurrentProcess();
        var processBefore = self.TotalProcessorTime;
        var brokerBefore = broker.Process.CpuTime();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async slot =>
        {
            while (Interlocked.Increment(ref issued) <= total) await call(slot);
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        self.Refresh();
        var processUs = (self.TotalProcessorTime - processBefore).TotalMicroseconds / total;
        var brokerUs = (broker.Process.CpuTime() - brokerBefore).TotalMicroseconds / total;
        return (total / seconds, (processUs, brokerUs));
    }
}
