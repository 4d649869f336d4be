using System.Buffers.Binary;
using MQTTnet;
using MQTTnet.Protocol;
using MqttIoT.Benchmarks.Infrastructure;

namespace MqttIoT.Benchmarks.Scenarios;

/// <summary>
/// Item 3: the broker host against Mosquitto with the same load generator: one bare MQTTnet publisher to 1, 10
/// and 100 bare subscribers, at QoS 0 and 1, counting every delivery at every subscriber against what was sent:
/// closed-loop first (a window of messages not yet at every subscriber, so no queue can overflow), then an
/// open-loop rate ladder from that figure whose highest clean rate is the figure compared; then the same with 1,000 idle
/// connected clients (each subscribed to a topic of its own, as Sdk clients hold their reply inbox).
/// </summary>
public sealed class BrokerScenario : IScenario
{
    private const string Topic = "bench/fanout/data";
    private const int PayloadLength = 64;
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(5);
    private static readonly int[] FanOuts = [1, 10, 100];
    private static readonly MqttQualityOfServiceLevel[] Levels = [MqttQualityOfServiceLevel.AtMostOnce, MqttQualityOfServiceLevel.AtLeastOnce];

    /// <inheritdoc />
    public string Name => "broker";

    /// <inheritdoc />
    public string Title => "3. Brokers: broker host vs Mosquitto, 1 -> 1/10/100 at QoS 0 and 1, with and without 1,000 idle clients";

    /// <summary>Highest clean open-loop deliveries/s; the closed-loop figure that seeded the ladder; what went wrong in it.</summary>
    private sealed record Measured(double PerSecond, double ClosedLoop, string ClosedLoopAnomalies, double BrokerCpu, string Ladder)
    {
        public bool Clean => PerSecond > 0 && ClosedLoopAnomalies.Length == 0;
    }

    /// <inheritdoc />
    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        int deliveries = context.Scale(1_000, 10_000), idle = context.Scale(100, 1_000);
        var results = new Dictionary<(BrokerKind, MqttQualityOfServiceLevel, int, bool), Measured>();
        foreach (var kind in context.Options.Brokers)
        {
            await using var broker = await context.StartBrokerAsync(kind);
            foreach (var withIdle in new[] { false, true })
            {
                List<IMqttClient> idlers = [];
                try
                {
                    if (withIdle)
                    {
                        context.Log($"{Name} on {broker.Name}: connecting {idle:N0} idle clients");
                        idlers = await ConnectIdleAsync(broker.Port, idle, cancellationToken);
                    }
                    foreach (var qos in Levels)
                    {
                        foreach (var n in FanOuts)
                        {
                            var m = await MeasureAsync(broker, qos, n, Math.Max(context.Scale(100, 300), deliveries / n), context.Quick, cancellationToken);
                            results[(kind, qos, n, withIdle)] = m;
                            context.Log($"  {broker.Name} QoS {(int)qos} 1 -> {n}{(withIdle ? $" +{idle} idle" : "")}: {m.PerSecond:N0} deliveries/s open loop, {m.ClosedLoop:N0} closed, broker CPU {m.BrokerCpu:P0}; {m.Ladder}");
                        }
                    }
                }
                finally
                {
                    await Task.WhenAll(idlers.Select(BareMqtt.CloseAsync));
                }
            }
            // The broker host logs a warning for every 10,000 messages it drops from a full client queue.
            foreach (var line in broker.Process.Problems().Take(5)) context.Log($"  {broker.Name} logged: {line}");
        }

        foreach (var withIdle in new[] { false, true })
        foreach (var qos in Levels)
        foreach (var n in FanOuts)
        {
            var figure = $"QoS {(int)qos}, 1 -> {n}{(withIdle ? $", {idle:N0} idle clients" : "")}: deliveries/s, highest open-loop rate with nothing lost";
            results.TryGetValue((BrokerKind.BrokerHost, qos, n, withIdle), out var host);
            results.TryGetValue((BrokerKind.Mosquitto, qos, n, withIdle), out var mosquitto);
            if (host is not null)
            {
                // Against Mosquitto: at least as fast at fan-out 10 and 100.
                var (text, met) = n >= 10 && mosquitto is not null ? Target.AtLeastTimes(host.PerSecond, mosquitto.PerSecond, 1.0) : Target.None;
                context.Add(new ResultRow("3 brokers", figure, "host vs mosquitto", host.PerSecond, mosquitto?.PerSecond, "deliv/s", text,
                    met is null ? null : met == true && host.Clean && mosquitto!.Clean, Note(host, mosquitto)));
            }
            if (withIdle)
            {
                foreach (var kind in context.Options.Brokers)
                {
                    if (!results.TryGetValue((kind, qos, n, true), out var with) || !results.TryGetValue((kind, qos, n, false), out var without)) continue;
                    // The broker host with idle clients against itself without them.
                    var (text, met) = kind == BrokerKind.BrokerHost ? Target.AtLeastTimes(with.PerSecond, without.PerSecond, 0.8) : Target.None;
                    context.Add(new ResultRow("3 brokers", $"QoS {(int)qos}, 1 -> {n}: with {idle:N0} idle clients vs without", BrokerProcess.NameOf(kind),
                        with.PerSecond, without.PerSecond, "deliv/s", text, met is null ? null : met == true && with.Clean && without.Clean,
                        $"closed loop {with.ClosedLoop:N0} vs {without.ClosedLoop:N0}" + (with.ClosedLoopAnomalies.Length > 0 ? $"; closed loop: {with.ClosedLoopAnomalies}" : "")));
                }
            }
        }
    }

    private static string Note(Measured host, Measured? mosquitto) =>
        $"broker CPU (closed loop): host {host.BrokerCpu:P0}" + (mosquitto is null ? "" : $", mosquitto {mosquitto.BrokerCpu:P0}") +
        $"; closed loop: host {host.ClosedLoop:N0}" + (mosquitto is null ? "" : $", mosquitto {mosquitto.ClosedLoop:N0}") +
        $"; msg/s at the sender: host {host.Ladder}" + (mosquitto is null ? "" : $", mosquitto {mosquitto.Ladder}") +
        (host.ClosedLoopAnomalies.Length > 0 || mosquitto?.ClosedLoopAnomalies.Length > 0
            ? $"; closed loop LOST or repeated: host {host.ClosedLoopAnomalies}, mosquitto {mosquitto?.ClosedLoopAnomalies}" : "");

    /// <summary>
    /// Closed loop (a window of messages not yet everywhere) for the broker's CPU and a first rate, then the open-loop
    /// ladder from that rate on the same subscribers.
    /// </summary>
    private static async Task<Measured> MeasureAsync(BrokerProcess broker, MqttQualityOfServiceLevel qos, int subscribers, int messages, bool quick,
        CancellationToken cancellationToken)
    {
        var window = Math.Max(20, 2_000 / subscribers);
        DeliveryTracker? current = null;
        var clients = new List<IMqttClient>();
        try
        {
            for (int i = 0; i < subscribers; i++)
            {
                var index = i;
                var sub = await BareMqtt.ConnectAsync(broker.Port, $"fan-{i}-{Guid.NewGuid():N}"[..20], cancellationToken);
                clients.Add(sub);
                sub.ApplicationMessageReceivedAsync += e =>
                {
                    Volatile.Read(ref current)?.Delivered(index, e.ApplicationMessage.Payload);
                    return Task.CompletedTask;
                };
                await BareMqtt.SubscribeAsync(sub, Topic, qos, cancellationToken);
            }
            var publisher = await BareMqtt.ConnectAsync(broker.Port, "fan-pub-" + Guid.NewGuid().ToString("N")[..8], cancellationToken);
            clients.Add(publisher);
            long failures = 0;
            Func<int, ValueTask> send = seq =>
            {
                var payload = new byte[PayloadLength];
                BinaryPrimitives.WriteInt32LittleEndian(payload, seq);
                var message = new MqttApplicationMessageBuilder().WithTopic(Topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build();
                _ = PublishAsync(publisher, message, () => Interlocked.Increment(ref failures));
                return ValueTask.CompletedTask;
            };

            Action<DeliveryTracker?> use = t => Volatile.Write(ref current, t);
            var cpuBefore = broker.Process.CpuTime();
            var closed = await ClosedLoop.RunAsync(messages, subscribers, window, RunLimit, Stall, use, send, cancellationToken);
            var cpu = (broker.Process.CpuTime() - cpuBefore).TotalSeconds / closed.Elapsed.TotalSeconds;
            var ladder = await RateLadder.ClimbAsync(closed.PerSecond / subscribers, subscribers, quick, messages, use, send, cancellationToken);
            if (failures > 0) throw new InvalidOperationException($"{failures} publishes failed on {broker.Name}");
            return new Measured(ladder.CleanRate * subscribers, closed.PerSecond, closed.Anomalies, cpu, ladder.Describe("msg/s"));
        }
        finally
        {
            await Task.WhenAll(clients.Select(BareMqtt.CloseAsync));
        }
    }

    private static async Task PublishAsync(IMqttClient client, MqttApplicationMessage message, Action failed)
    {
        try { await client.PublishAsync(message, CancellationToken.None); }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or ObjectDisposedException) { failed(); }
    }

    private static async Task<List<IMqttClient>> ConnectIdleAsync(int port, int count, CancellationToken cancellationToken)
    {
        var clients = new IMqttClient[count];
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var id = $"idle-{i}-{Guid.NewGuid():N}"[..20];
                clients[i] = await BareMqtt.ConnectAsync(port, id, cancellationToken, keepAlive: TimeSpan.FromMinutes(5));
                await BareMqtt.SubscribeAsync(clients[i], $"iot/v1/clients/{id}/replies", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
            }
            finally { gate.Release(); }
        }));
        return [.. clients];
    }
}
