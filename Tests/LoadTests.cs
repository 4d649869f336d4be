using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MqttIoT.Gateway;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MqttIoT.Tests;

/// <summary>
/// Ten gateways of a thousand simulated devices each, in this process, on the run's broker: counter notifications at
/// QoS 1 to two Sdk subscribers and requests from an Sdk client, for MQTTIOT_LOAD_SECONDS (default 60). Every message
/// is counted at both ends: the counter values are sequence numbers, so each one a device raised must arrive, and
/// every request must be answered.
/// </summary>
public class LoadTests(ITestOutputHelper output)
{
    private const int Gateways = 10, DevicesEach = 1000;

    // 10,000 devices every 5 s: 2,000 notifications/s, what this 2-CPU machine carries with everything else in one
    // process next to the broker (the benchmarks reach 6,000-7,000 deliveries/s with the publisher alone).
    private static readonly TimeSpan NotifyEvery = TimeSpan.FromSeconds(5);

    private static TimeSpan Duration { get; } = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("MQTTIOT_LOAD_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 60);

    [Fact]
    public async Task Ten_gateways_of_a_thousand_devices_carry_notifications_and_requests_at_qos_1_and_lose_nothing()
    {
        var stations = Enumerable.Range(0, Gateways).Select(i => $"load-{i}").ToArray();
        await using var env = await TestEnvironment.StartAsync(gateway: false, users: stations);
        var setup = Stopwatch.StartNew();

        // Subscribed before any gateway starts: the subscribers see everything.
        var received = new ConcurrentDictionary<string, ConcurrentDictionary<long, int>>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var subscribers = new[] { await env.ConnectClientAsync(), await env.ConnectClientAsync() };
        var subscriptions = new List<EventSubscription<DeviceEvent>>();
        var collectors = new List<Task>();
        for (var i = 0; i < Gateways; i++)
        {
            var subscription = await subscribers[i % 2].SubscribeDeviceEventsAsync(stations[i], type: DeviceEventType.Notified, key: "counter");
            subscriptions.Add(subscription);
            collectors.Add(Task.Run(async () =>
            {
                try
                {
                    await foreach (var n in subscription.WithCancellation(stop.Token))
                    {
                        var value = long.Parse(Encoding.UTF8.GetString(n.Value!), CultureInfo.InvariantCulture);
                        received.GetOrAdd($"{n.Station}/{n.Device}", _ => new()).AddOrUpdate(value, 1, (_, c) => c + 1);
                    }
                }
                catch (OperationCanceledException) { }
            }));
        }

        var gateways = new List<(SimulatedStation Station, GatewayService Gateway)>();
        for (var i = 0; i < Gateways; i++)
        {
            var station = new SimulatedStation(new SimulatedStationOptions
            {
                StationId = stations[i], DeviceCount = DevicesEach, NotifyInterval = NotifyEvery, AutoDiscover = true, Seed = i + 1,
                DiscoveryInterval = TimeSpan.FromMilliseconds(20),
            });
            gateways.Add((station, await env.StartGatewayAsync(station, connectAll: false)));
        }
        await Deadline.UntilAsync(() => Task.FromResult(gateways.All(g => g.Station.GetKnownDevices().Count == DevicesEach)),
            "every device discovered", TimeSpan.FromSeconds(60));

        // Connect every device and start its counter's notifications through the request path.
        var requester = await env.ConnectClientAsync(TimeSpan.FromSeconds(30));
        var all = gateways.SelectMany(g => g.Station.GetKnownDevices().Select(d => (Station: g.Station.Id, Device: d.Id))).ToArray();
        var setupRequests = 0;
        await Parallel.ForEachAsync(all, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = Deadline.Token(TimeSpan.FromSeconds(180)) },
            async (d, ct) =>
            {
                var station = requester.GetStation(d.Station);
                await station.ConnectDeviceAsync(d.Device, cancellationToken: ct);
                await requester.GetDevice(d.Station, d.Device).EnableNotificationsAsync("counter", cancellationToken: ct);
                Interlocked.Add(ref setupRequests, 2);
            });
        output.WriteLine($"{all.Length} devices on {Gateways} gateways connected and notifying ({setupRequests} requests) in {setup.Elapsed.TotalSeconds:0.0} s");

        var atStart = await CountersAsync(gateways.Select(g => g.Station));

        // The load: requests from 8 callers at once while the notifications flow, for the duration.
        var sent = 0L;
        var answered = 0L;
        var writesAnswered = 0L;
        var failures = new ConcurrentQueue<string>();
        var running = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; running.Elapsed < Duration; i += 8)
            {
                var (station, id) = all[(int)((long)i * 7919 % all.Length)];
                var device = requester.GetDevice(station, id);
                Interlocked.Increment(ref sent);
                try
                {
                    if (i % 2 == 0)
                    {
                        await device.WriteTextAsync("setpoint", "22.5");
                        Interlocked.Increment(ref writesAnswered);
                    }
                    else await device.ReadValueAsync("setpoint");
                    Interlocked.Increment(ref answered);
                }
                catch (IoTException e) { failures.Enqueue($"{station}/{id}: {e.Code} {e.Message}"); }
            }
        })).ToArray();
        await Task.WhenAll(callers).WaitAsync(Duration + TimeSpan.FromSeconds(60));
        var loadTime = running.Elapsed;

        // The cut: every counter value raised up to now must reach a subscriber.
        var cut = await CountersAsync(gateways.Select(g => g.Station));
        var duringLoad = cut.Sum(c => c.Value - atStart.GetValueOrDefault(c.Key));
        long Missing()
        {
            long missing = 0;
            foreach (var (key, last) in cut)
            {
                if (!received.TryGetValue(key, out var got) || got.IsEmpty) { missing++; continue; }
                for (var v = got.Keys.Min(); v <= last; v++) if (!got.ContainsKey(v)) missing++;
            }
            return missing;
        }
        var drain = Stopwatch.StartNew();
        await Deadline.UntilAsync(() => Task.FromResult(Missing() == 0), "every notification raised before the cut arrives", TimeSpan.FromSeconds(120));
        await stop.CancelAsync();
        await Task.WhenAll(collectors).WaitAsync(TimeSpan.FromSeconds(30));

        long raised = 0, delivered = 0, duplicates = 0;
        foreach (var (key, last) in cut)
        {
            var got = received[key];
            var first = got.Keys.Min();
            raised += last - first + 1;
            foreach (var (value, copies) in got)
            {
                if (value > last) continue;
                delivered++;
                duplicates += copies - 1;
            }
        }
        var applied = gateways.Sum(g => g.Station.AllDevices.Sum(d => (long)d.AppliedWrites));
        var acknowledged = gateways.Sum(g => g.Gateway.AcknowledgedNotifications);
        var dropped = gateways.Sum(g => g.Gateway.DroppedNotifications);
        output.WriteLine($"{loadTime.TotalSeconds:0} s of load on {(TestEnvironment.UseMosquitto ? "Mosquitto" : "the embedded broker")}: "
            + $"notifications {raised} raised, {delivered} received ({duplicates} twice), {raised - delivered} lost, "
            + $"{duringLoad} of them during the load ({duringLoad / loadTime.TotalSeconds:0}/s); the last arrived {drain.Elapsed.TotalSeconds:0.0} s after the cut; "
            + $"gateways: {acknowledged} acknowledged by the broker, {dropped} dropped");
        output.WriteLine($"requests: {sent} sent, {answered} answered, {failures.Count} failed, {answered / loadTime.TotalSeconds:0}/s; "
            + $"{writesAnswered} writes answered, {applied} applied");

        cut.Should().HaveCount(Gateways * DevicesEach, "every device stayed connected");
        received.Keys.Should().HaveCount(Gateways * DevicesEach, "every device delivered notifications");
        delivered.Should().Be(raised, "no notification is lost");
        raised.Should().BeGreaterThan((long)(Gateways * DevicesEach * (loadTime / NotifyEvery) * 0.9), "the devices notified at the rate asked, at least through the load");
        dropped.Should().Be(0);
        failures.Should().BeEmpty("every request is answered");
        answered.Should().Be(sent);
        applied.Should().Be(writesAnswered, "each answered write was applied once, and no other");
        foreach (var s in subscriptions) await s.DisposeAsync();
    }

    /// <summary>Each connected device's counter now, read from the simulator, keyed station/device.</summary>
    private static async Task<Dictionary<string, long>> CountersAsync(IEnumerable<SimulatedStation> stations)
    {
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var station in stations)
            foreach (var d in station.GetConnectedDevices())
                counters[$"{station.Id}/{d.Id}"] = long.Parse(Encoding.UTF8.GetString(await d.ReadValueAsync("counter", Deadline.Token())), CultureInfo.InvariantCulture);
        return counters;
    }
}
