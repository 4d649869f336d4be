using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MqttIoT.Benchmarks.Infrastructure;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Benchmarks.Scenarios;

/// <summary>
/// Item 4, queries, and the hub half of item 5: 100,000 devices' retained props and availability (over 10 stations)
/// put on a fresh broker by a bare publisher, then the hub host started as a child process, catching up from the
/// broker's replay (on the broker host, where they are not retained, the hub first and then the same state live). Measured: the time from launching it until every device is queryable; FIND_DEVICES with a filter
/// (a range of <c>attributes.index</c> and the model, 100 per page: a pass over every record) and LIST_DEVICES paging
/// through all devices 1,000 at a time (limit + after), each at concurrency 1, p50 and p99, beside a bare MQTT v5
/// request/response echo through the same broker (the transport's share of each figure); and the hub's resident
/// memory (VmRSS) holding them.
/// </summary>
public sealed class HubQueryScenario : IScenario
{
    private const double FindP99LimitMs = 5;
    private const double MemoryLimitMb = 500;
    private const int PageSize = 1000;
    private const string EchoTopic = "bench/hub-echo/query";

    /// <inheritdoc />
    public string Name => "hub-query";

    /// <inheritdoc />
    public string Title => "4-5. Hub holding 100,000 devices: catch-up at start, FIND_DEVICES and LIST_DEVICES p50/p99, resident memory";

    /// <inheritdoc />
    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        int devices = context.Scale(2_000, 100_000), finds = context.Scale(200, 500), warmup = context.Scale(20, 50), passes = 2;
        var limit = TimeSpan.FromSeconds(context.Scale(30, 90));
        var settle = TimeSpan.FromSeconds(context.Scale(1, 2));
        foreach (var kind in context.Options.Brokers)
        {
            await using var broker = await context.StartBrokerAsync(kind);
            var feed = new DeviceFeed("query", devices);
            context.Log($"{Name} on {broker.Name}: {devices:N0} devices over {feed.Stations.Count} station(s) and the hub host");
            // Retained first, then the hub, which catches up from the broker's replay; where state is not retained
            // (DeviceFeed.RetainOn) the hub starts first and the same state reaches it live.
            var retain = DeviceFeed.RetainOn(kind);
            var messages = feed.StateMessages(retain);
            if (retain) await PublishAsync(context, broker, messages, limit, cancellationToken);
            var since = Stopwatch.GetTimestamp();
            await using var hub = await HubHost.StartAsync(context, broker.Port, "query", limit, cancellationToken);
            if (!retain) await PublishAsync(context, broker, messages, limit, cancellationToken);
            var indexed = await hub.WaitForDevicesAsync(feed.Stations, devices, since, limit, cancellationToken);
            if (retain)
            {
                context.Add(new ResultRow("4 hub", $"hub launched with {devices:N0} devices retained at the broker: until all are queryable", broker.Name,
                    indexed.TotalSeconds, null, "s", "", null, hub.WarningsNote().TrimStart(';', ' ')));
            }

            await using var echo = await BareEchoResponder.StartAsync(broker.Port, EchoTopic, cancellationToken);
            var maxIndex = Math.Min(devices, DeviceFeed.DevicesPerStation);
            string FindBody(int call)
            {
                var from = 1 + call * 37 % Math.Max(1, maxIndex - 20);
                return $$$"""{"filter":{"attributes.model":"sim-thermostat","attributes.index":{"$gte":{{{from}}},"$lt":{{{from + 20}}}}},"limit":100}""";
            }
            var first = await hub.QueryAsync(HubQueryType.FindDevices, FindBody(0), cancellationToken);
            var expected = Math.Min(100, 20 * feed.Stations.Count);
            if (first.GetProperty("items").GetArrayLength() != expected)
                throw new InvalidOperationException($"FIND_DEVICES gave {first.GetProperty("items").GetArrayLength()} records, {expected} expected");

            var findLatency = new LatencyRecorder(finds);
            var echoLatency = new LatencyRecorder(finds);
            Func<int, Task> findCall = i => hub.QueryAsync(HubQueryType.FindDevices, FindBody(i), cancellationToken);
            Func<int, Task> echoCall = i => hub.Requester.RequestAsync(EchoTopic, Encoding.UTF8.GetBytes(FindBody(i)), TimeSpan.FromSeconds(10), cancellationToken);
            await LatencyRecorder.SerialAsync(findCall, warmup, null);
            await LatencyRecorder.SerialAsync(echoCall, warmup, null);
            await LatencyRecorder.SerialAsync(echoCall, finds, echoLatency);
            var findCpuBefore = hub.Process.CpuTime();
            await LatencyRecorder.SerialAsync(findCall, finds, findLatency);
            var findCpuUs = (hub.Process.CpuTime() - findCpuBefore).TotalMicroseconds / finds;
            var f = findLatency.Percentiles(50, 99);
            var e = echoLatency.Percentiles(50, 99);
            context.Add(new ResultRow("4 hub", $"FIND_DEVICES with a filter (index range + model, 100 per page) at {devices:N0} devices: p50 ({finds:N0} queries)", broker.Name,
                f[0], e[0], "ms", "", null, $"hub CPU {findCpuUs:0} us per query; baseline: a bare MQTT v5 request/response echo of the same body through the same broker"));
            var (findText, findMet) = Target.Under(f[1], FindP99LimitMs, "ms");
            context.Add(new ResultRow("4 hub", $"FIND_DEVICES with a filter (index range + model, 100 per page) at {devices:N0} devices: p99 ({finds:N0} queries)", broker.Name,
                f[1], e[1], "ms", findText, findMet, "baseline: bare echo"));

            var pages = (devices + PageSize - 1) / PageSize;
            var listLatency = new LatencyRecorder(passes * (pages + 1));
            var listCpuBefore = hub.Process.CpuTime();
            for (int pass = 0; pass < passes; pass++)
            {
                var seen = await ListAllAsync(hub, listLatency, pages + 1, cancellationToken);
                if (seen != devices) throw new InvalidOperationException($"LIST_DEVICES paged through {seen:N0} devices, {devices:N0} expected");
            }
            var l = listLatency.Percentiles(50, 99);
            var listCpuUs = (hub.Process.CpuTime() - listCpuBefore).TotalMicroseconds / listLatency.Count;
            foreach (var (name, value) in new[] { ("p50", l[0]), ("p99", l[1]) })
            {
                context.Add(new ResultRow("4 hub", $"LIST_DEVICES paging {PageSize:N0} at a time through {devices:N0} devices: {name} ({listLatency.Count:N0} pages)", broker.Name,
                    value, name == "p50" ? e[0] : e[1], "ms", "", null, $"hub CPU {listCpuUs:0} us per page; baseline: bare echo"));
            }

            await Task.Delay(settle, cancellationToken);
            var (rss, peak) = hub.Process.Memory();
            var (text, met) = Target.Under(rss / 1048576.0, MemoryLimitMb, "MB");
            context.Add(new ResultRow("5 scale", $"hub, {devices:N0} devices indexed, after the queries: resident memory", broker.Name,
                rss / 1048576.0, null, "MB", text, met, $"peak {peak / 1048576.0:0} MB" + hub.WarningsNote()));
            if (echo.Failures > 0) throw new InvalidOperationException($"the echo responder failed {echo.Failures} replies");
        }
    }

    private static async Task PublishAsync(BenchContext context, BrokerProcess broker, List<MQTTnet.MqttApplicationMessage> messages, TimeSpan limit,
        CancellationToken cancellationToken)
    {
        var publisher = await BareMqtt.ConnectAsync(broker.Port, "hub-feed", cancellationToken);
        try
        {
            var (published, elapsed) = await DeviceFeed.PublishAsync(publisher, messages, limit, cancellationToken);
            if (published < messages.Count) throw new TimeoutException($"published only {published:N0} of {messages.Count:N0} state messages within {limit.TotalSeconds} s");
            context.Log($"  {messages.Count:N0} state messages published in {elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            await BareMqtt.CloseAsync(publisher);
        }
    }

    /// <summary>Pages through every device (LIST_DEVICES, limit + after), timing each page; returns how many ids came.</summary>
    private static async Task<int> ListAllAsync(HubHost hub, LatencyRecorder latencies, int maxPages, CancellationToken cancellationToken)
    {
        string? after = null;
        int seen = 0;
        for (int page = 0; page < maxPages; page++)
        {
            var body = after is null
                ? $$"""{"limit":{{PageSize.ToString(CultureInfo.InvariantCulture)}}}"""
                : JsonSerializer.Serialize(new { limit = PageSize, after });
            var start = Stopwatch.GetTimestamp();
            var data = await hub.QueryAsync(HubQueryType.ListDevices, body, cancellationToken);
            latencies.Add(Stopwatch.GetTimestamp() - start);
            seen += data.GetProperty("items").GetArrayLength();
            if (!data.TryGetProperty("next", out var next) || next.ValueKind != JsonValueKind.String) break;
            after = next.GetString();
        }
        return seen;
    }
}
