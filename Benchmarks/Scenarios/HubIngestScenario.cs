using System.Diagnostics;
using System.Text;
using LiteDB;
using MqttIoT.Benchmarks.Infrastructure;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Benchmarks.Scenarios;

/// <summary>
/// Item 4, ingest: the hub host as a child process on a fresh broker, then 10,000 and 100,000 devices' retained props
/// and availability (and their stations') published by a bare publisher as gateways publish them. Measured: the time
/// from the first publish until the hub's queries see every device (GET_STATION's device counts), as devices/s,
/// against LiteDB's own <c>InsertBulk</c> of as many documents of the hub's shape into a fresh file on the same disk,
/// back to back. Then, on the 100,000 devices, a sustained ingest of NOTIFIED events (each a changed record to
/// write), sampling the size of LiteDB's log file (<c>hub-log.db</c>), which the hub's checkpoints keep bounded.
/// </summary>
public sealed class HubIngestScenario : IScenario
{
    private const string Scenario = "4 hub";
    private const double IngestTarget = 0.25;
    // The hub's default HubOptions.CheckpointPages (2,000 pages of 8 KiB): the log is folded into the file past it.
    private const int CheckpointPages = 2000;
    private const double CheckpointMb = CheckpointPages * 8192 / 1048576.0;
    // Bounded: the checkpoint size plus what one more batch (at most 5,000 records) writes before the checkpoint runs.
    private const double LogLimitMb = 2 * CheckpointMb;

    /// <inheritdoc />
    public string Name => "hub-ingest";

    /// <inheritdoc />
    public string Title => "4. Hub ingest: 10,000 and 100,000 device props until queryable vs LiteDB InsertBulk; LiteDB log under sustained ingest";

    /// <inheritdoc />
    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        int[] sizes = context.Quick ? [500, 2_000] : [10_000, 100_000];
        int notified = context.Scale(5_000, 150_000);
        var limit = TimeSpan.FromSeconds(context.Scale(30, 90));
        var sustained = TimeSpan.FromSeconds(context.Scale(2, 5));
        // LiteDB's first use in this process pays its JIT and first file; not what the baseline is about.
        LiteDbInsertBulk(Path.Combine(context.Scratch, "litedb-warmup.db"), new DeviceFeed("warmup", 1_000));
        foreach (var kind in context.Options.Brokers)
        {
            foreach (var devices in sizes)
            {
                // A fresh broker per size, so the hub starts on an empty retained set each time.
                await using var broker = await context.StartBrokerAsync(kind);
                var feed = new DeviceFeed($"ingest{devices}", devices);
                var (baselineRate, baselineTime) = LiteDbInsertBulk(Path.Combine(context.Scratch, $"litedb-{broker.Port}.db"), feed);
                var retain = DeviceFeed.RetainOn(kind);
                var messages = feed.StateMessages(retain);
                context.Log($"{Name} on {broker.Name}: hub host, {devices:N0} devices over {feed.Stations.Count} station(s); LiteDB InsertBulk took {baselineTime.TotalSeconds:0.00} s");

                await using var hub = await HubHost.StartAsync(context, broker.Port, "ingest", limit, cancellationToken);
                var publisher = await BareMqtt.ConnectAsync(broker.Port, "hub-feed", cancellationToken);
                try
                {
                    var cpuBefore = hub.Process.CpuTime();
                    var since = Stopwatch.GetTimestamp();
                    var (published, publishTime) = await DeviceFeed.PublishAsync(publisher, messages, limit, cancellationToken);
                    if (published < messages.Count) throw new TimeoutException($"published only {published:N0} of {messages.Count:N0} state messages within {limit.TotalSeconds} s");
                    var elapsed = await hub.WaitForDevicesAsync(feed.Stations, devices, since, limit, cancellationToken);
                    var cpuUs = (hub.Process.CpuTime() - cpuBefore).TotalMicroseconds / devices;
                    var rate = devices / elapsed.TotalSeconds;
                    var (text, met) = Target.AtLeastTimes(rate, baselineRate, IngestTarget);
                    context.Add(new ResultRow(Scenario, $"ingest of {devices:N0} devices' props + availability until all are queryable", broker.Name,
                        rate, baselineRate, "dev/s", text, met,
                        $"{elapsed.TotalSeconds:0.00} s{(retain ? "" : ", published live (not retained)")} (publisher's PUBACKs {publishTime.TotalSeconds:0.00} s), hub CPU {cpuUs:0} us per device; " +
                        $"baseline: LiteDB InsertBulk of {devices:N0} documents of the hub's shape, {baselineTime.TotalSeconds:0.00} s" + hub.WarningsNote()));

                    if (devices == sizes[^1])
                        await SustainedAsync(context, broker, hub, publisher, feed, notified, sustained, limit, cancellationToken);
                }
                finally
                {
                    await BareMqtt.CloseAsync(publisher);
                }
            }
        }
    }

    /// <summary>NOTIFIED events round the devices for a while, sampling the LiteDB log's size; one row.</summary>
    private static async Task SustainedAsync(BenchContext context, BrokerProcess broker, HubHost hub, MQTTnet.IMqttClient publisher, DeviceFeed feed,
        int count, TimeSpan duration, TimeSpan limit, CancellationToken cancellationToken)
    {
        var events = feed.NotifiedMessages(count);
        long largest = HubHost.FileSize(hub.LogPath), last = largest;
        int checkpoints = 0;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var size = HubHost.FileSize(hub.LogPath);
                if (size < last) checkpoints++;
                last = size;
                largest = Math.Max(largest, size);
                try { await Task.Delay(20, sampling.Token); } catch (OperationCanceledException) { }
            }
        }, CancellationToken.None);
        var (published, elapsed) = await DeviceFeed.PublishAsync(publisher, events, duration, cancellationToken);
        // The last event applied: its device's record carries its value; then one batch window for the commit.
        await WaitForLastEventAsync(hub, events, published, limit, cancellationToken);
        await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        await sampling.CancelAsync();
        await sampler;

        var mb = largest / 1048576.0;
        var (text, met) = Target.Under(mb, LogLimitMb, "MB");
        context.Add(new ResultRow(Scenario, $"LiteDB log (hub-log.db), largest during {published:N0} NOTIFIED events over {feed.Devices:N0} devices", broker.Name,
            mb, null, "MB", text, met,
            $"{published / elapsed.TotalSeconds:N0} events/s for {elapsed.TotalSeconds:0.0} s; log at the end {HubHost.FileSize(hub.LogPath) / 1048576.0:0.0} MB, " +
            $"hub.db {HubHost.FileSize(hub.DatabasePath) / 1048576.0:0.0} MB; {checkpoints} checkpoints seen (at {CheckpointPages:N0} pages, {CheckpointMb:0.0} MB)" + hub.WarningsNote()));
    }

    private static async Task WaitForLastEventAsync(HubHost hub, List<MQTTnet.MqttApplicationMessage> events, int published, TimeSpan limit,
        CancellationToken cancellationToken)
    {
        if (published == 0) return;
        var last = System.Text.Json.JsonSerializer.Deserialize(System.Buffers.BuffersExtensions.ToArray(events[published - 1].Payload), ContractJson.Default.EventMessage)!;
        var body = System.Text.Json.JsonSerializer.Serialize(new { device = last.Device });
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var record = await hub.QueryAsync(HubQueryType.GetDevice, body, cancellationToken);
            if (record.TryGetProperty("notified", out var n) && n.TryGetProperty("temperature", out var t) && t.GetProperty("at").GetDateTimeOffset() == last.Timestamp)
                return;
            if (clock.Elapsed > limit) throw new TimeoutException($"the hub did not apply the last NOTIFIED event of {last.Device} within {limit.TotalSeconds} s");
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>
    /// The baseline: the same devices as documents of the hub's shape (id, station, availability, online, stale, first and
    /// last seen, the props as a nested document) built beforehand, then one <c>InsertBulk</c> (batches of 5,000, the hub's
    /// largest transaction) into a fresh LiteDB file with the hub's checkpoint size. Timed: the InsertBulk.
    /// </summary>
    private static (double PerSecond, TimeSpan Elapsed) LiteDbInsertBulk(string path, DeviceFeed feed)
    {
        var now = DateTime.UtcNow;
        var documents = new List<BsonDocument>(feed.Devices);
        for (int i = 0; i < feed.Devices; i++)
        {
            var (station, device) = feed.DeviceAt(i);
            documents.Add(new BsonDocument
            {
                ["_id"] = device, ["availability"] = true, ["online"] = true, ["stale"] = false, ["firstSeen"] = now, ["lastSeen"] = now,
                ["station"] = station, ["props"] = LiteDB.JsonSerializer.Deserialize(Encoding.UTF8.GetString(feed.DevicePropsJson(i))),
            });
        }
        File.Delete(path);
        File.Delete(Path.ChangeExtension(path, null) + "-log.db");
        TimeSpan elapsed;
        using (var db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct }))
        {
            db.CheckpointSize = CheckpointPages;
            var collection = db.GetCollection("devices", BsonAutoId.ObjectId);
            var clock = Stopwatch.StartNew();
            var inserted = collection.InsertBulk(documents, batchSize: 5000);
            elapsed = clock.Elapsed;
            if (inserted != documents.Count) throw new InvalidOperationException($"LiteDB inserted {inserted} of {documents.Count}");
        }
        File.Delete(path);
        return (feed.Devices / elapsed.TotalSeconds, elapsed);
    }
}
