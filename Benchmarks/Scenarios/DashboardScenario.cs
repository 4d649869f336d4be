using System.Diagnostics;
using System.Globalization;
using System.Text;
using MQTTnet;
using Microsoft.Playwright;
using MqttIoT.Benchmarks.Infrastructure;
using MqttIoT.Dashboard;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Benchmarks.Scenarios;

/// <summary>
/// The dashboard in Debian's headless chromium (Playwright, /usr/bin/chromium), on the broker host with the hub host and
/// an in-process gateway of 10,000 simulated devices, the dashboard in-process (anonymous: the broker host here is).
/// Measured: navigation until the device table shows its first page (target under 1 s), beside the hub's own
/// FIND_DEVICES of that page (the baseline: the hub's share); then, with 1,000 NOTIFIED events/s published for a
/// bounded period and the events page open, the time a click (Pause/Resume) takes to show, beside the same clicks with no
/// events flowing (target under 200 ms), and the page's JS heap at the start and end of the period (bounded).
/// </summary>
public sealed class DashboardScenario : IScenario
{
    private const string Chromium = "/usr/bin/chromium";
    private const double FirstPageLimitMs = 1000;
    private const double ClickLimitMs = 200;
    private const int EventsPerSecond = 1000;

    /// <inheritdoc />
    public string Name => "dashboard";

    /// <inheritdoc />
    public string Title => "7. Dashboard in chromium: first table page at 10,000 devices, clicks and memory under 1,000 NOTIFIED/s";

    /// <inheritdoc />
    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"{Chromium} is missing (apt-get install chromium)");
        int devices = context.Scale(1_000, 10_000), loads = context.Scale(3, 10), clicks = context.Scale(4, 30); // an even number of clicks leaves the page unpaused
        var period = TimeSpan.FromSeconds(context.Scale(3, 30));
        var limit = TimeSpan.FromSeconds(context.Scale(30, 90));
        var kind = BrokerKind.BrokerHost;
        await using var broker = await context.StartBrokerAsync(kind);
        await using var gateway = await InProcessGateway.StartAsync(context, broker.Port, "dash-1", devices, cancellationToken);
        var since = Stopwatch.GetTimestamp();
        await using var hub = await HubHost.StartAsync(context, broker.Port, "dashboard", limit, cancellationToken);
        await hub.WaitForDevicesAsync(["dash-1"], devices, since, limit, cancellationToken);
        context.Log($"{Name}: {devices:N0} devices indexed");

        await using var server = new DashboardServer(new DashboardOptions { HttpPort = 0, Broker = new() { Port = broker.Port } }, context.LoggerFactory);
        await server.StartAsync(cancellationToken);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium, Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
        });

        // 1. Navigation until the first page of the device table shows (50 rows, sorted by id).
        var firstPage = new List<double>();
        for (int i = 0; i < loads + 1; i++)
        {
            var page = await browser.NewPageAsync();
            var clock = Stopwatch.StartNew();
            await page.GotoAsync(server.Url.ToString());
            await page.Locator("#devices tbody tr[data-device]").Nth(49).WaitForAsync(new() { Timeout = 30_000 });
            if (i > 0) firstPage.Add(clock.Elapsed.TotalMilliseconds);   // the first load warms the server and the browser
            await page.CloseAsync();
        }
        var hubPage = new List<double>();
        for (int i = 0; i < loads; i++)
        {
            var clock = Stopwatch.StartNew();
            await hub.QueryAsync(HubQueryType.FindDevices, """{"sort":"id","limit":50}""", cancellationToken);
            hubPage.Add(clock.Elapsed.TotalMilliseconds);
        }
        var (text, met) = Target.Under(Median(firstPage), FirstPageLimitMs, "ms");
        context.Add(new ResultRow("7 dashboard", $"overview at {devices:N0} devices: navigation until the table's first page shows, median of {loads}", "broker host",
            Median(firstPage), Median(hubPage), "ms", text, met, $"max {firstPage.Max():0} ms; baseline: the hub's FIND_DEVICES of that page alone"));

        // 2. The events page while 1,000 NOTIFIED/s flow: clicks, and the JS heap over the period.
        var events = await browser.NewPageAsync();
        await events.GotoAsync(server.Url + "#/events");
        await events.Locator("#ev-pause").WaitForAsync();
        var cdp = await events.Context.NewCDPSessionAsync(events);
        await cdp.SendAsync("Performance.enable");
        var quiet = await ClicksAsync(events, clicks, cancellationToken);
        var publisher = await BareMqtt.ConnectAsync(broker.Port, "dash-feed", cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var feed = FeedAsync(publisher, devices, stop.Token);
        await events.Locator("#events tbody tr").First.WaitForAsync(new() { Timeout = 10_000 });
        var heapStart = await HeapAsync(cdp);
        var clock2 = Stopwatch.StartNew();
        var busy = new List<double>();
        while (clock2.Elapsed < period || busy.Count < clicks)
            busy.AddRange(await ClicksAsync(events, 1, cancellationToken));
        var heapEnd = await HeapAsync(cdp);
        await stop.CancelAsync();
        var published = await feed;
        await BareMqtt.CloseAsync(publisher);
        var rate = published / clock2.Elapsed.TotalSeconds;
        busy.Sort();
        var p99 = busy[(int)Math.Min(busy.Count - 1, Math.Ceiling(busy.Count * 0.99) - 1)];
        (text, met) = Target.Under(p99, ClickLimitMs, "ms");
        context.Add(new ResultRow("7 dashboard", $"events page under {rate:N0} NOTIFIED/s: a click until it shows, p99 of {busy.Count}", "broker host",
            p99, Percentile(quiet, 99), "ms", text, met, $"median {Median(busy):0.0} ms; baseline: the same clicks with no events"));
        context.Add(new ResultRow("7 dashboard", $"events page under {rate:N0} NOTIFIED/s: JS heap after {clock2.Elapsed.TotalSeconds:0} s", "broker host",
            heapEnd, heapStart, "MB", "", null, "baseline: the heap when the events began"));
    }

    /// <summary>Clicks Pause (or Resume) and waits until the button says the other; the time of each.</summary>
    private static async Task<List<double>> ClicksAsync(IPage page, int count, CancellationToken cancellationToken)
    {
        var times = new List<double>();
        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var was = await page.GetAttributeAsync("#ev-pause", "aria-pressed");
            var clock = Stopwatch.StartNew();
            await page.ClickAsync("#ev-pause");
            await page.WaitForFunctionAsync($"document.getElementById('ev-pause').getAttribute('aria-pressed') !== '{was}'", null, new() { PollingInterval = 1 });
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    /// <summary>Publishes NOTIFIED events as a gateway does, 1,000 a second in 10 ms slices, until stopped; returns how many.</summary>
    private static async Task<long> FeedAsync(IMqttClient publisher, int devices, CancellationToken cancellationToken)
    {
        var topics = new TopicTree();
        long sent = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var clock = Stopwatch.StartNew();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var due = (long)(clock.Elapsed.TotalSeconds * EventsPerSecond);
                for (; sent < due; sent++)
                {
                    var device = $"dev-{sent % devices + 1:00000}";
                    var text = sent.ToString(CultureInfo.InvariantCulture);
                    var payload = $$$"""{"type":"NOTIFIED","station":"dash-1","device":"{{{device}}}","key":"counter","timestamp":"{{{DateTimeOffset.UtcNow:O}}}","data":{"value":"{{{Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text))}}}","text":"{{{text}}}"}}""";
                    await publisher.PublishAsync(new MqttApplicationMessageBuilder()
                        .WithTopic(topics.DeviceEvent("dash-1", device, DeviceEventType.Notified, "counter")).WithPayload(payload).Build(), cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        return sent;
    }

    private static async Task<double> HeapAsync(ICDPSession cdp)
    {
        await cdp.SendAsync("HeapProfiler.collectGarbage");
        var metrics = await cdp.SendAsync("Performance.getMetrics");
        foreach (var m in metrics!.Value.GetProperty("metrics").EnumerateArray())
            if (m.GetProperty("name").GetString() == "JSHeapUsedSize") return m.GetProperty("value").GetDouble() / 1048576.0;
        return double.NaN;
    }

    private static double Median(List<double> values) => Percentile(values, 50);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Clamp(Math.Ceiling(sorted.Count * p / 100) - 1, 0, sorted.Count - 1)];
    }
}
