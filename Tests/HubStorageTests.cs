using System.Text;
using System.Text.Json.Nodes;
using LiteDB;
using Microsoft.Extensions.Logging;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>The index file keeps ids exactly (ordinal), and one record it cannot take does not cost the rest of its batch.</summary>
public class HubStorageTests
{
    private static readonly TopicTree Topics = new();

    [Fact]
    public async Task Device_ids_that_differ_only_in_case_are_both_indexed_and_both_survive_a_hub_restart()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, users: ["opc-1"]);
        var gateway = await env.ConnectRawAsync(asStation: "opc-1");
        await PublishStationAsync(gateway, "opc-1");
        // OPC UA node ids are case-sensitive: these are two devices.
        await PublishDeviceAsync(gateway, "opc-1", "ns=2;s=Motor", "upper");
        await PublishDeviceAsync(gateway, "opc-1", "ns=2;s=motor", "lower");

        var dir = Path.Combine(env.DataDirectory, "hub-case");
        var hub = await env.StartHubAsync(dir);
        var client = await env.ConnectClientAsync();
        (await client.GetDeviceAsync("ns=2;s=Motor")).Props.Name.Should().Be("upper");
        (await client.GetDeviceAsync("ns=2;s=motor")).Props.Name.Should().Be("lower");
        await hub.DisposeAsync();

        using (var db = new LiteDatabase(new ConnectionString { Filename = hub.DatabasePath, Connection = ConnectionType.Direct }))
        {
            db.GetCollection("devices").FindAll().Select(d => d["props"]["name"].AsString).Should().BeEquivalentTo(["upper", "lower"],
                "both records reached the file");
        }
        env.Logs.Count(LogLevel.Error).Should().Be(0, env.Logs.Tail());

        await env.StartHubAsync(dir);
        (await client.ListDevicesAsync()).Items.Select(d => d.Id).Should().Equal("ns=2;s=Motor", "ns=2;s=motor");
    }

    [Fact]
    public async Task A_record_the_file_cannot_take_is_logged_and_the_rest_of_its_batch_is_written()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, users: ["lab"]);
        env.ExpectError(LogEvents.HubIndexRecordNotWritten);
        var gateway = await env.ConnectRawAsync(asStation: "lab");
        // A long window and batch: everything below lands in one transaction.
        var hub = await env.StartHubAsync(configure: o => { o.BatchWindow = TimeSpan.FromMilliseconds(500); o.MaxBatch = 10_000; });
        await PublishStationAsync(gateway, "lab");
        // LiteDB refuses index keys over 1023 bytes: this device's record cannot be stored.
        var tooLong = "lab-" + new string('x', 1100);
        await PublishDeviceAsync(gateway, "lab", "lab-1", "one");
        await PublishDeviceAsync(gateway, "lab", tooLong, "long");
        await PublishDeviceAsync(gateway, "lab", "lab-2", "two");
        await Deadline.UntilAsync(() => Task.FromResult(env.Logs.Count(LogEvents.HubIndexRecordNotWritten) > 0), "the refused record is logged");
        await hub.DisposeAsync();

        using var db = new LiteDatabase(new ConnectionString { Filename = hub.DatabasePath, Connection = ConnectionType.Direct });
        db.GetCollection("devices").FindAll().Select(d => d["props"]["name"].AsString).Should().BeEquivalentTo(["one", "two"]);
        db.GetCollection("stations").Count().Should().Be(1);
        env.Logs.Count(LogEvents.HubIndexRecordNotWritten).Should().Be(1, "one line, naming the one record: " + env.Logs.Tail());
        env.Logs.Count(LogEvents.HubIndexBatchNotWritten).Should().Be(0, "the rest of the batch was written: " + env.Logs.Tail());
        // The Id value names the station too ("<id>' of station 'lab"): the record is the one that contains the long id.
        env.Logs.Count(LogEvents.HubIndexRecordNotWritten, e => e.Value("Id").Contains(tooLong, StringComparison.Ordinal)).Should().Be(1);
    }

    [Fact]
    public async Task An_index_file_of_the_earlier_format_is_rebuilt_ordinal_and_rekeyed_keeping_first_seen()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, users: ["lab"]);
        var gateway = await env.ConnectRawAsync(asStation: "lab");
        await PublishStationAsync(gateway, "lab");
        await PublishDeviceAsync(gateway, "lab", "lab-1", "one");

        // What the hub wrote before: LiteDB's default collation (ignores case), a device keyed by its id alone.
        var dir = Path.Combine(env.DataDirectory, "hub-old");
        Directory.CreateDirectory(dir);
        var firstSeen = new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        using (var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(dir, "hub.db"), Connection = ConnectionType.Direct }))
        {
            db.Collation.SortOptions.Should().NotBe(System.Globalization.CompareOptions.Ordinal);
            BsonDocument Doc(string id, string? station) => new()
            {
                ["_id"] = id, ["station"] = station is null ? BsonValue.Null : station, ["availability"] = true, ["online"] = true, ["stale"] = false,
                ["firstSeen"] = firstSeen, ["lastSeen"] = firstSeen, ["props"] = new BsonDocument { ["id"] = id, ["name"] = "old" },
            };
            db.GetCollection("stations").Insert(Doc("lab", null));
            db.GetCollection("devices").Insert(Doc("lab-1", "lab"));
        }

        var hub = await env.StartHubAsync(dir);
        env.Logs.Count(LogEvents.HubIndexRebuiltOrdinal).Should().Be(1);
        var client = await env.ConnectClientAsync();
        var device = await client.GetDeviceAsync("lab-1", station: "lab");
        device.FirstSeen.Should().Be(new DateTimeOffset(firstSeen), "the rebuild keeps what the file knew");
        device.Props.Name.Should().Be("one", "the broker's replay is the truth");
        await hub.DisposeAsync();

        using var rebuilt = new LiteDatabase(new ConnectionString { Filename = hub.DatabasePath, Connection = ConnectionType.Direct });
        rebuilt.Collation.SortOptions.Should().Be(System.Globalization.CompareOptions.Ordinal);
        rebuilt.GetCollection("devices").FindAll().Select(d => (d["device"].AsString, d["station"].AsString)).Should().Equal(("lab-1", "lab"));
        File.Exists(Path.Combine(dir, "hub-backup.db")).Should().BeFalse();
    }

    internal static Task PublishStationAsync(RawClient gateway, string station) => Task.WhenAll(
        gateway.PublishAsync(Topics.StationProps(station), Encoding.UTF8.GetBytes($$"""{"id":"{{station}}","backend":"simulated","started":true}"""), retain: true),
        gateway.PublishAsync(Topics.StationAvailability(station), "online"u8.ToArray(), retain: true));

    internal static async Task PublishDeviceAsync(RawClient gateway, string station, string device, string name)
    {
        var props = new JsonObject { ["id"] = device, ["station"] = station, ["name"] = name, ["connected"] = true, ["keys"] = new JsonArray("temperature") };
        await gateway.PublishAsync(Topics.DeviceProps(station, device), Encoding.UTF8.GetBytes(props.ToJsonString()), retain: true);
        await gateway.PublishAsync(Topics.DeviceAvailability(station, device), "online"u8.ToArray(), retain: true);
    }
}
