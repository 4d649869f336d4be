using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using MqttIoT.Benchmarks.Infrastructure;
using MqttIoT.Broker;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Benchmarks.Scenarios;

/// <summary>
/// What the broker's session log (<c>Broker/Sessions/SessionStore.cs</c>) costs: the embedded broker in this process on a
/// free loopback port with a fresh temporary data folder, <see cref="BrokerOptions.PersistSessions"/> on against
/// off (the baseline) in the same run. Persistent subscribers (clean start, Session Expiry Interval 300 s, QoS 1)
/// and one bare publisher publishing QoS 1 messages of 200 bytes with a window of messages in flight (a slot
/// comes back once the message has its PUBACK and, with subscribers online, has reached every one of them):
/// deliveries/s end to end and the publisher's PUBACK latency; then the same with the subscribers disconnected
/// (every message queued for offline sessions): publishes/s. Each broker is fresh, so every run starts from an
/// empty log.
/// </summary>
public sealed class SessionStoreScenario : IScenario
{
    private const string Topic = "bench/sessions/data";
    private const int PayloadLength = 200;
    private const int Window = 100;
    private const uint SessionExpiry = 300;
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(5);

    /// <summary>How long each phase of a run may send: warm-up, pipelined, one at a time.</summary>
    private sealed record Limits(TimeSpan Warmup, TimeSpan Pipelined, TimeSpan Serial);

    /// <summary>Subscribers, and whether they are connected while the publisher runs.</summary>
    private sealed record Case(int Subscribers, bool Online)
    {
        public string Text => Online ? $"1 -> {Subscribers} persistent subscriber(s)" : $"1 -> {Subscribers} offline persistent sessions";
    }

    /// <summary>
    /// One run: deliveries/s (with subscribers online) or PUBACKs/s (offline) from the first publish to the last of
    /// them; PUBACK latency; the process's CPU per message; what the store holds at the end.
    /// </summary>
    private sealed record Measured(double PerSecond, double PipelinedP50, double PipelinedP99, double P50, double P99, int Sent, double CpuUs,
        double LogBytesPerMessage, int StoredPending, double GcPauseMs, string Anomalies);

    /// <inheritdoc />
    public string Name => "sessions";

    /// <inheritdoc />
    public string Title => "6. Persistent sessions: embedded broker with its session log (PersistSessions) vs without, QoS 1 to persistent subscribers, online and offline";

    /// <inheritdoc />
    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        if (!context.Options.Brokers.Contains(BrokerKind.BrokerHost))
        {
            context.Log($"{Name}: measures the embedded broker only; skipped with --broker mosquitto");
            return;
        }
        int warmup = context.Scale(100, 500), messages = context.Scale(300, 4_000), serial = context.Scale(100, 500);
        var limits = context.Quick
            ? new Limits(TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(0.3))
            : new Limits(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(0.5));
        // The whole scenario's time: a run starts only while some is left (each is bounded by its limits and stalls),
        // and a case whose runs did not all fit is reported as skipped. Normally it takes about 15 s (full) or 3 s (quick).
        var budget = TimeSpan.FromSeconds(context.Quick ? 10 : 25);
        var clock = Stopwatch.StartNew();
        Case[] cases = [new(1, true), new(4, true), new(4, false)];
        // Quick: off, then on. Full: off, on, on, off, each figure the mean of its two runs, so that a drift of the
        // machine's load over the pair (or what the first run warms up) weighs on both sides alike.
        bool[] order = context.Quick ? [false, true] : [false, true, true, false];

        // One unreported run of each side first: the JIT (tiered: methods are recompiled once hot) and the thread pool
        // warm up on neither side's account.
        foreach (var persist in new[] { true, false })
            await MeasureAsync(context, new Case(4, true), persist, warmup, messages, serial, limits, cancellationToken);
        foreach (var c in cases)
        {
            var runs = new Dictionary<bool, List<Measured>> { [false] = [], [true] = [] };
            foreach (var persist in order)
            {
                if (clock.Elapsed > budget)
                {
                    context.Log($"  {Name} {c.Text}: skipped, the scenario's {budget.TotalSeconds:0} s are spent (a busy machine)");
                    break;
                }
                var m = await MeasureAsync(context, c, persist, warmup, messages, serial, limits, cancellationToken);
                runs[persist].Add(m);
                context.Log($"  {Name} {c.Text}, PersistSessions {(persist ? "on" : "off")}: {m.PerSecond:N0} {(c.Online ? "deliveries" : "publishes")}/s, " +
                    $"PUBACK {Window} in flight p50 {m.PipelinedP50:0.0} ms p99 {m.PipelinedP99:0.0} ms, 1 in flight p50 {m.P50:0.000} ms p99 {m.P99:0.000} ms " +
                    $"(GC pauses {m.GcPauseMs:0} ms), " +
                    $"{m.Sent:N0} sent, {m.CpuUs:0} us CPU/msg, log {m.LogBytesPerMessage:0} bytes/msg, " +
                    $"{m.StoredPending:N0} stored unacknowledged{(m.Anomalies.Length > 0 ? $"; {m.Anomalies}" : "")}");
            }
            if (runs[true].Count + runs[false].Count == order.Length) Report(context, c, messages, serial, runs[true], runs[false]);
        }
    }

    private static void Report(BenchContext context, Case c, int messages, int serial, List<Measured> on, List<Measured> off)
    {
        const string scenario = "6 sessions";
        const string broker = "embedded (in-process)";
        static double Mean(List<Measured> runs, Func<Measured, double> f) => runs.Average(f);
        var runsText = on.Count > 1 ? $"mean of {on.Count} runs each (off, on, on, off)" : "1 run each";
        var anomalies = string.Join("; ", on.Concat(off).Select(m => m.Anomalies).Where(a => a.Length > 0).Distinct());
        var problems = anomalies.Length > 0 ? $"; LOST or failed: {anomalies}" : "";
        var cpu = $"CPU per message in this process (broker + clients): on {Mean(on, m => m.CpuUs):0} us, off {Mean(off, m => m.CpuUs):0} us";
        var log = $"session log {Mean(on, m => m.LogBytesPerMessage):0} bytes per message published";
        var pipelined = $"PUBACK latency with {Window} in flight p50 / p99: on {Mean(on, m => m.PipelinedP50):0.0} / {Mean(on, m => m.PipelinedP99):0.0} ms, " +
            $"off {Mean(off, m => m.PipelinedP50):0.0} / {Mean(off, m => m.PipelinedP99):0.0} ms";
        var figure = $"QoS 1, {c.Text}, {PayloadLength} B, {Window} in flight ({messages:N0} msgs)";
        if (c.Online)
        {
            context.Add(new ResultRow(scenario, $"{figure}: deliveries/s, PersistSessions on vs off", broker,
                Mean(on, m => m.PerSecond), Mean(off, m => m.PerSecond), "deliv/s", "", null,
                $"{runsText}; {pipelined}; {cpu}; {log}; runs on {string.Join(" / ", on.Select(m => m.PerSecond.ToString("N0", CultureInfo.InvariantCulture)))}, " +
                $"off {string.Join(" / ", off.Select(m => m.PerSecond.ToString("N0", CultureInfo.InvariantCulture)))}{problems}"));
        }
        else
        {
            context.Add(new ResultRow(scenario, $"{figure}: publishes/s (PUBACKs), PersistSessions on vs off", broker,
                Mean(on, m => m.PerSecond), Mean(off, m => m.PerSecond), "msg/s", "", null,
                $"{runsText}; {c.Subscribers} stored messages per publish; {pipelined}; {cpu}; {log}; " +
                $"stored unacknowledged at the end (on): {on.Last().StoredPending:N0}{problems}"));
        }
        var latency = $"QoS 1, {c.Text}, {PayloadLength} B: PUBACK latency {{0}}, 1 in flight ({serial:N0} msgs), on vs off";
        context.Add(new ResultRow(scenario, string.Format(CultureInfo.InvariantCulture, latency, "p50"), broker,
            Mean(on, m => m.P50), Mean(off, m => m.P50), "ms", "", null, runsText));
        context.Add(new ResultRow(scenario, string.Format(CultureInfo.InvariantCulture, latency, "p99"), broker,
            Mean(on, m => m.P99), Mean(off, m => m.P99), "ms", "", null,
            $"{runsText}; GC pauses in the process while these ran: on {Mean(on, m => m.GcPauseMs):0} ms, off {Mean(off, m => m.GcPauseMs):0} ms"));
    }

    /// <summary>
    /// A fresh broker and data folder, the subscribers (then disconnected, for an offline case), a warm-up of
    /// <paramref name="warmup"/> messages, then <paramref name="messages"/> measured ones (or as many as
    /// <paramref name="limits"/> allow) with <see cref="Window"/> in flight, then <paramref name="serial"/> one at a
    /// time for the PUBACK latency of a publish that waits behind nothing.
    /// </summary>
    private static async Task<Measured> MeasureAsync(BenchContext context, Case c, bool persist, int warmup, int messages, int serial, Limits limits,
        CancellationToken cancellationToken)
    {
        var directory = Path.Combine(context.Scratch, $"sessions-{(persist ? "on" : "off")}-{Guid.NewGuid():N}");
        var options = new BrokerOptions { Port = FreePort.Next(), DataDirectory = directory, PersistSessions = persist };
        var clients = new List<IMqttClient>();
        try
        {
            await using var broker = new EmbeddedBroker(options, context.LoggerFactory.CreateLogger<EmbeddedBroker>());
            await broker.StartAsync(cancellationToken);
            try
            {
                DeliveryTracker? current = null;
                var ids = new string[c.Subscribers];
                for (int i = 0; i < c.Subscribers; i++)
                {
                    var index = i;
                    ids[i] = $"persist-{i}-{Guid.NewGuid():N}"[..24];
                    var sub = await BareMqtt.ConnectAsync(options.Port, ids[i], cancellationToken, sessionExpiry: SessionExpiry);
                    clients.Add(sub);
                    sub.ApplicationMessageReceivedAsync += e =>
                    {
                        Volatile.Read(ref current)?.Delivered(index, e.ApplicationMessage.Payload);
                        return Task.CompletedTask;
                    };
                    await BareMqtt.SubscribeAsync(sub, Topic, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
                }
                if (persist && broker.StoredSessions != c.Subscribers)
                    throw new InvalidOperationException($"the store holds {broker.StoredSessions} sessions, not {c.Subscribers}");
                if (!c.Online) await DisconnectAllAsync(broker, clients, cancellationToken);

                var publisher = await BareMqtt.ConnectAsync(options.Port, "persist-pub-" + Guid.NewGuid().ToString("N")[..8], cancellationToken);
                clients.Add(publisher);
                Action<DeliveryTracker?> use = t => Volatile.Write(ref current, t);
                var subscribers = c.Online ? c.Subscribers : 0;
                var warm = await PublishAsync(publisher, 0, warmup, Window, subscribers, limits.Warmup, use, null, cancellationToken);

                var pipelinedLatencies = new LatencyRecorder(messages);
                using var self = Process.GetCurrentProcess();
                var cpuBefore = self.TotalProcessorTime;
                var run = await PublishAsync(publisher, warmup, messages, Window, subscribers, limits.Pipelined, use, pipelinedLatencies, cancellationToken);
                self.Refresh();
                var cpuUs = (self.TotalProcessorTime - cpuBefore).TotalMicroseconds / Math.Max(1, run.Sent);
                var latencies = new LatencyRecorder(serial);
                var pauseBefore = GC.GetTotalPauseDuration();
                var one = await PublishAsync(publisher, warmup + messages, serial, 1, subscribers, limits.Serial, use, latencies, cancellationToken);
                var gcPause = (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds;
                var published = warm.Sent + run.Sent + one.Sent;

                var logPath = Path.Combine(directory, "sessions.log");
                var logBytes = persist && File.Exists(logPath) ? new FileInfo(logPath).Length : 0;
                var stored = broker.StoredUnacknowledgedMessages;
                var anomalies = string.Join("; ", new[] { warm.Anomalies, run.Anomalies, one.Anomalies }.Where(a => a.Length > 0));
                if (!c.Online)
                {
                    // Every message is queued for every offline session, with the log or without it.
                    var expected = published;
                    var sessions = await broker.Server.GetSessionsAsync();
                    var wrong = sessions.Where(s => ids.Contains(s.Id) && s.PendingApplicationMessagesCount != expected).Select(s => s.Id).ToList();
                    if (sessions.Count(s => ids.Contains(s.Id)) != c.Subscribers || wrong.Count > 0)
                        anomalies = Join(anomalies, $"offline sessions not holding {expected:N0} messages each: {string.Join(", ", wrong)}");
                    if (persist && stored != expected * c.Subscribers)
                        anomalies = Join(anomalies, $"the store holds {stored:N0} unacknowledged messages, not {expected * c.Subscribers:N0}");
                }
                // A client's DISCONNECT still on its way when the broker stops makes MQTTnet log a warning: wait for each.
                await DisconnectAllAsync(broker, [.. clients.Where(x => x.IsConnected)], cancellationToken);
                var p = latencies.Percentiles(50, 99);
                var q = pipelinedLatencies.Percentiles(50, 99);
                return new Measured(run.PerSecond, q[0], q[1], p[0], p[1], run.Sent, cpuUs, (double)logBytes / Math.Max(1, published), stored, gcPause, anomalies);
            }
            finally
            {
                await Task.WhenAll(clients.Select(BareMqtt.CloseAsync));
            }
        }
        finally
        {
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string Join(string a, string b) => a.Length == 0 ? b : $"{a}; {b}";

    /// <summary>Disconnects the clients and waits until the broker has seen every one of them go.</summary>
    private static async Task DisconnectAllAsync(EmbeddedBroker broker, List<IMqttClient> subscribers, CancellationToken cancellationToken)
    {
        if (subscribers.Count == 0) return;
        var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var left = subscribers.Count;
        Func<MQTTnet.Server.ClientDisconnectedEventArgs, Task> handler = _ =>
        {
            if (Interlocked.Decrement(ref left) == 0) gone.TrySetResult();
            return Task.CompletedTask;
        };
        broker.Server.ClientDisconnectedAsync += handler;
        try
        {
            foreach (var s in subscribers) await s.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), cancellationToken);
            await gone.Task.WaitAsync(Stall, cancellationToken);
        }
        finally
        {
            broker.Server.ClientDisconnectedAsync -= handler;
        }
    }

    /// <summary>What one publishing run gave.</summary>
    private sealed record Run(double PerSecond, int Sent, string Anomalies);

    /// <summary>
    /// Publishes messages <paramref name="first"/>..first+count-1, at most <paramref name="window"/> in flight: a slot comes
    /// back with the message's PUBACK and, when there are <paramref name="subscribers"/>, once every one of them has it.
    /// Bounded by <paramref name="count"/>, by <paramref name="limit"/> for the sends, by <see cref="Stall"/> without a free
    /// slot, and by <see cref="Stall"/> for all the answers after the last send.
    /// </summary>
    private static async Task<Run> PublishAsync(IMqttClient publisher, int first, int count, int window, int subscribers, TimeSpan limit,
        Action<DeliveryTracker?> use, LatencyRecorder? latencies, CancellationToken cancellationToken)
    {
        using var tracker = subscribers > 0 ? new DeliveryTracker(count, subscribers, window, first: first) : null;
        var acks = new PublishWindow(window, latencies);
        use(tracker);
        try
        {
            var start = Stopwatch.GetTimestamp();
            int sent = 0;
            var stalled = false;
            for (; sent < count && Stopwatch.GetElapsedTime(start) < limit; sent++)
            {
                if (!await acks.AcquireAsync(Stall, cancellationToken)) { stalled = true; break; }
                if (tracker is not null && !await tracker.AcquireAsync(Stall, cancellationToken)) { stalled = true; break; }
                var seq = first + sent;
                var payload = new byte[PayloadLength];
                BinaryPrimitives.WriteInt32LittleEndian(payload, seq);
                tracker?.Sent(seq);
                var message = new MqttApplicationMessageBuilder().WithTopic(Topic).WithPayload(payload)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                _ = acks.PublishAsync(publisher, message);
            }
            // Every slot back: every PUBACK came, and every message reached every subscriber.
            var drainBy = Stopwatch.GetTimestamp() + (long)(Stall.TotalSeconds * Stopwatch.Frequency);
            TimeSpan Left() => TimeSpan.FromSeconds(Math.Max(0, (double)(drainBy - Stopwatch.GetTimestamp()) / Stopwatch.Frequency));
            for (int i = 0; i < window && !stalled; i++) stalled = !await acks.AcquireAsync(Left(), cancellationToken);
            if (tracker is not null)
                for (int i = 0; i < window && !stalled; i++) stalled = !await tracker.AcquireAsync(Left(), cancellationToken);

            var publishSeconds = Math.Max(1e-6, Stopwatch.GetElapsedTime(start, acks.LastAckAt).TotalSeconds);
            var publishes = acks.Acked / publishSeconds;
            double perSecond = publishes;
            var problems = new List<string>();
            if (tracker is not null)
            {
                var seconds = Math.Max(1e-6, Stopwatch.GetElapsedTime(start, tracker.LastDeliveryAt).TotalSeconds);
                perSecond = tracker.DeliveryCount / seconds;
                var lost = (long)sent * subscribers - tracker.DeliveryCount;
                if (lost > 0) problems.Add($"{lost:N0} deliveries lost");
                if (tracker.Duplicates > 0) problems.Add($"{tracker.Duplicates:N0} duplicate(s)");
                if (tracker.Unexpected > 0) problems.Add($"{tracker.Unexpected:N0} unexpected");
            }
            if (acks.Failures > 0) problems.Add($"{acks.Failures:N0} publishes failed");
            if (acks.Acked + acks.Failures < sent) problems.Add($"{sent - acks.Acked - acks.Failures:N0} PUBACKs missing");
            if (stalled) problems.Add($"stalled {Stall.TotalSeconds:0} s");
            return new Run(perSecond, sent, string.Join(", ", problems));
        }
        finally
        {
            use(null);
        }
    }

    /// <summary>The publisher's window of messages waiting for their PUBACK, timing each.</summary>
    private sealed class PublishWindow(int size, LatencyRecorder? latencies)
    {
        private readonly SemaphoreSlim _slots = new(size);
        private long _acked;
        private long _failures;
        private long _lastAckAt = Stopwatch.GetTimestamp();

        public long Acked => Interlocked.Read(ref _acked);
        public long Failures => Interlocked.Read(ref _failures);
        public long LastAckAt => Interlocked.Read(ref _lastAckAt);

        public Task<bool> AcquireAsync(TimeSpan stall, CancellationToken cancellationToken) => _slots.WaitAsync(stall, cancellationToken);

        public async Task PublishAsync(IMqttClient client, MqttApplicationMessage message)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                var result = await client.PublishAsync(message, CancellationToken.None);
                var now = Stopwatch.GetTimestamp();
                if (result.ReasonCode != MqttClientPublishReasonCode.Success)
                {
                    Interlocked.Increment(ref _failures);
                    return;
                }
                latencies?.Add(now - start);
                Interlocked.Increment(ref _acked);
                Interlocked.Exchange(ref _lastAckAt, now);
            }
            catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
            {
                Interlocked.Increment(ref _failures);
            }
            finally
            {
                _slots.Release();
            }
        }
    }
}
