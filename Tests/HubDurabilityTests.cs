using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using LiteDB;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MqttIoT.Tests;

/// <summary>The index on disk: batching, restart, kill -9 during a burst, and replicas side by side.</summary>
public class HubDurabilityTests(ITestOutputHelper output)
{
    private static readonly TopicTree Topics = new();

    [Fact]
    public async Task A_burst_of_devices_coming_online_is_written_in_a_few_transactions()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, openEmbeddedBroker: true);
        var hub = await env.StartHubAsync(configure: o => o.BatchWindow = TimeSpan.FromMilliseconds(100));
        var raw = await env.ConnectRawAsync();
        const int count = 10_000;
        var watch = Stopwatch.StartNew();
        // Live, not retained: MQTTnet's server copies its whole retained set on every retained change (O(n) each), which
        // would make this a test of the embedded broker. The hub treats both the same.
        await PublishDevicesAsync(raw, "burst", 0, count, retain: false);
        await Deadline.UntilAsync(() => Task.FromResult(hub.Stats.Devices == count), "every device indexed", TimeSpan.FromSeconds(40));
        var stats = hub.Stats;
        output.WriteLine($"{count} devices (props + availability) indexed in {watch.ElapsedMilliseconds} ms; {stats.Transactions} transactions, largest {stats.LargestTransaction}");
        stats.Transactions.Should().BeLessThan(count / 20, "records are coalesced into batched transactions");
        stats.LargestTransaction.Should().BeGreaterThan(100);
    }

    [Fact]
    public async Task A_restarted_hub_keeps_its_index_on_disk_and_drops_what_left_while_it_was_away()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, openEmbeddedBroker: true);
        var raw = await env.ConnectRawAsync();
        await PublishDevicesAsync(raw, "lab", 1, 3);
        var dir = Path.Combine(env.DataDirectory, "hub-restart");
        var hub = await env.StartHubAsync(dir);
        var client = await env.ConnectClientAsync();
        var firstSeen = (await client.GetDeviceAsync("lab-00001")).FirstSeen;
        await hub.DisposeAsync();

        using (var db = new LiteDatabase(new ConnectionString { Filename = hub.DatabasePath, Connection = ConnectionType.Direct }))
        {
            db.GetCollection("devices").Count().Should().Be(3);
            db.GetCollection("stations").FindById("lab")["online"].AsBoolean.Should().BeTrue();
            db.GetCollection("devices").FindOne(Query.EQ("device", "lab-00002"))["props"]["attributes"]["index"].AsInt32.Should().Be(2);
        }

        // While the hub is away, one device leaves and one arrives.
        await raw.PublishAsync(Topics.DeviceProps("lab", "lab-00002"), [], retain: true);
        await PublishDevicesAsync(raw, "lab", 4, 1, withStation: false);

        await env.StartHubAsync(dir);
        (await client.ListDevicesAsync()).Items.Select(d => d.Id).Should().Equal("lab-00001", "lab-00003", "lab-00004");
        (await client.GetDeviceAsync("lab-00001")).FirstSeen.Should().Be(firstSeen, "first seen survives the restart");
    }

    [Fact]
    public async Task Two_replicas_each_keep_the_index_and_answer_each_query_exactly_once()
    {
        await using var env = await TestEnvironment.StartAsync();
        var a = await env.StartHubAsync();
        var b = await env.StartHubAsync();
        a.Stats.Devices.Should().Be(3);
        b.Stats.Devices.Should().Be(3);
        var client = await env.ConnectClientAsync();

        const int queries = 40;
        var pages = await Task.WhenAll(Enumerable.Range(0, queries).Select(_ => client.ListDevicesAsync()));
        pages.Should().OnlyContain(p => p.Items.Count == 3);
        await Deadline.UntilAsync(() => Task.FromResult(a.Stats.QueriesAnswered + b.Stats.QueriesAnswered >= queries), "all answered");
        (a.Stats.QueriesAnswered + b.Stats.QueriesAnswered).Should().Be(queries, "each query is answered by one replica only");
        a.Stats.QueriesAnswered.Should().BePositive();
        b.Stats.QueriesAnswered.Should().BePositive();

        // One replica goes away: the other answers everything.
        await a.DisposeAsync();
        (await client.GetDeviceAsync("dev-0001")).Station.Should().Be("sim-1");
    }

    [Fact]
    public async Task Kill_9_during_a_burst_then_restart_loses_nothing_and_corrupts_nothing()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, openEmbeddedBroker: true);
        var raw = await env.ConnectRawAsync();
        var client = await env.ConnectClientAsync();
        var dir = Path.Combine(env.DataDirectory, "hub-child");
        var file = Path.Combine(dir, "hub.db");
        // Retained (the restart rebuilds from them), props only: see the burst test on the embedded broker's retained cost.
        const int total = 6_000;

        await using (var first = HostProcess.StartHub(env.Port, dir, "--batch", "500", "--batch-ms", "20"))
        {
            await Deadline.UntilAsync(async () => await HubAnswersAsync(client), "the child hub answers", TimeSpan.FromSeconds(30));
            await PublishDevicesAsync(raw, "burst", 0, total / 2, availability: false);
            await first.KillAsync(); // mid-ingest: the hub trails the broker
            output.WriteLine(string.Join('\n', first.Output.TakeLast(5)));
        }

        var afterCrash = ReadIndex(file);
        output.WriteLine($"after kill -9 the file holds {afterCrash.Count} devices");
        afterCrash.Count.Should().BeLessThanOrEqualTo(total / 2);

        await PublishDevicesAsync(raw, "burst", total / 2, total / 2, withStation: false, availability: false);
        await using var second = HostProcess.StartHub(env.Port, dir, "--batch", "500", "--batch-ms", "20");
        await Deadline.UntilAsync(async () => await HubAnswersAsync(client) && await CountDevicesAsync(client) == total, "restarted hub has every device",
            TimeSpan.FromSeconds(40));
        await second.StopAsync();

        var afterRestart = ReadIndex(file);
        afterRestart.Count.Should().Be(total, "what the crash lost was rebuilt from the broker's retained state");
        File.Exists(Path.Combine(dir, "hub-log.db")).Should().BeFalse("a clean stop folds the log into the file");
    }

    /// <summary>Opens the index file as LiteDB would after a crash and checks every document is whole.</summary>
    private static List<string> ReadIndex(string file)
    {
        using var db = new LiteDatabase(new ConnectionString { Filename = file, Connection = ConnectionType.Direct });
        var ids = new List<string>();
        foreach (var doc in db.GetCollection("devices").FindAll())
        {
            var id = doc["device"].AsString;
            doc["props"]["id"].AsString.Should().Be(id, "a document is never torn");
            doc["props"]["attributes"]["index"].AsInt32.Should().Be(int.Parse(id[^5..], System.Globalization.CultureInfo.InvariantCulture));
            ids.Add(id);
        }
        db.GetCollection("devices").Count().Should().Be(ids.Count, "the collection's index agrees with its documents");
        return ids;
    }

    private static async Task<bool> HubAnswersAsync(IoTHubClient client)
    {
        try { await client.ListStationsAsync(limit: 1); return true; }
        catch (IoTException e) when (e.Code is ErrorCode.Unavailable or ErrorCode.DeadlineExceeded) { return false; }
    }

    private static async Task<int> CountDevicesAsync(IoTHubClient client)
    {
        var count = 0;
        await foreach (var _ in client.ListAllDevicesAsync(pageSize: 10_000)) count++;
        return count;
    }

    /// <summary>Publishes station props and availability (once), then device props (and availability), as a gateway would, 500 at a time.</summary>
    private static async Task PublishDevicesAsync(RawClient raw, string station, int from, int count, bool withStation = true, bool retain = true,
        bool availability = true)
    {
        if (withStation)
        {
            await raw.PublishAsync(Topics.StationProps(station), Encoding.UTF8.GetBytes($$"""{"id":"{{station}}","backend":"simulated","started":true}"""), retain: true);
            await raw.PublishAsync(Topics.StationAvailability(station), "online"u8.ToArray(), retain: true);
        }
        foreach (var chunk in Enumerable.Range(from, count).Chunk(500))
        {
            await Task.WhenAll(chunk.Select(async i =>
            {
                var id = $"{station}-{i:D5}";
                var props = new JsonObject
                {
                    ["id"] = id, ["station"] = station, ["name"] = $"Device {i}", ["connected"] = true,
                    ["keys"] = new JsonArray("temperature", "counter"),
                    ["attributes"] = new JsonObject { ["model"] = "sim-thermostat", ["index"] = i },
                };
                await raw.PublishAsync(Topics.DeviceProps(station, id), Encoding.UTF8.GetBytes(props.ToJsonString()), retain: retain);
                if (availability) await raw.PublishAsync(Topics.DeviceAvailability(station, id), "online"u8.ToArray(), retain: retain);
            }));
        }
    }
}
