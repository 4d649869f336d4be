using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// The filter language, sort and paging of FIND_DEVICES and FIND_STATIONS, over a small known set of stations and
/// devices published as retained state the way gateways publish it.
/// </summary>
public class HubFilterTests(HubFilterTests.Lab lab) : IClassFixture<HubFilterTests.Lab>
{
    public static TheoryData<string, string[]> DeviceFilters => new()
    {
        { """{}""", ["lab-a", "lab-b", "lab-c", "old-d"] },
        { """{"attributes.model":"thermo-x"}""", ["lab-a", "lab-c"] },
        { """{"attributes":{"model":"thermo-x","index":3}}""", ["lab-c"] },
        { """{"attributes.model":{"$ne":"thermo-x"}}""", ["lab-b", "old-d"] },
        { """{"attributes.model":{"$in":["thermo-y","legacy"]}}""", ["lab-b", "old-d"] },
        { """{"attributes.index":{"$gt":2}}""", ["lab-c", "old-d"] },
        { """{"attributes.index":{"$gte":2}}""", ["lab-b", "lab-c", "old-d"] },
        { """{"attributes.index":{"$lt":2}}""", ["lab-a"] },
        { """{"attributes.index":{"$lte":2}}""", ["lab-a", "lab-b"] },
        { """{"attributes.index":{"$gt":1,"$lt":4}}""", ["lab-b", "lab-c"] },
        { """{"attributes.firmware":{"$gte":"1.2.0","$lt":"2"}}""", ["lab-b"] },
        { """{"attributes.rssi":{"$exists":true}}""", ["lab-a"] },
        { """{"attributes.rssi":{"$exists":false}}""", ["lab-b", "lab-c", "old-d"] },
        { """{"attributes.rssi":null}""", ["lab-b", "lab-c", "old-d"] },
        { """{"name":{"$regex":"sensor$","$options":"i"}}""", ["lab-a", "lab-b"] },
        { """{"name":{"$regex":"^[A-Z]"}}""", ["lab-a", "lab-c", "old-d"] },
        { """{"keys":"humidity"}""", ["lab-a"] },
        { """{"attributes.tags":{"$in":["east","north"]}}""", ["lab-c"] },
        { """{"online":true}""", ["lab-a", "lab-c"] },
        { """{"stale":true}""", ["old-d"] },
        { """{"station":"old"}""", ["old-d"] },
        { """{"props.name":"Gamma","connected":true}""", ["lab-c"] },
        { """{"lastSeen":{"$gt":"2000-01-01T00:00:00Z"},"firstSeen":{"$lte":"2999-01-01T00:00:00Z"}}""", ["lab-a", "lab-b", "lab-c", "old-d"] },
        { """{"no.such.field":{"$exists":true}}""", [] },
    };

    [Theory]
    [MemberData(nameof(DeviceFilters))]
    public async Task Each_operator_selects_the_devices_it_should(string filter, string[] expected)
    {
        var data = await lab.Client.HubQueryAsync(HubQueryType.FindDevices, new HubQueryBody { Filter = JsonDocument.Parse(filter).RootElement });
        data.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).Should().Equal(expected);
    }

    [Fact]
    public async Task The_typed_builder_writes_the_same_language()
    {
        var filter = new HubFilter().Eq("attributes.model", "thermo-x").Gte("attributes.index", 2).Regex("name", "^gam", ignoreCase: true).Exists("attributes.tags");
        filter.ToString().Should().Be("""{"attributes.model":"thermo-x","attributes.index":{"$gte":2},"name":{"$regex":"^gam","$options":"i"},"attributes.tags":{"$exists":true}}""");
        (await lab.Client.FindDevicesAsync(filter)).Items.Select(d => d.Id).Should().Equal("lab-c");
        (await lab.Client.FindDevicesAsync(new HubFilter().In("attributes.index", 1, 4).Ne("online", true))).Items.Select(d => d.Id).Should().Equal("old-d");
        (await lab.Client.FindDevicesAsync(new HubFilter().After("lastSeen", DateTimeOffset.UtcNow.AddDays(1)))).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task Sort_and_pages_walk_every_match_once_in_order()
    {
        var first = await lab.Client.FindDevicesAsync(sort: "-attributes.index", limit: 3);
        first.Items.Select(d => d.Id).Should().Equal("old-d", "lab-c", "lab-b");
        first.Next.Should().NotBeNull();
        var second = await lab.Client.FindDevicesAsync(sort: "-attributes.index", limit: 3, after: first.Next);
        second.Items.Select(d => d.Id).Should().Equal("lab-a");
        second.Next.Should().BeNull();

        var all = new List<string>();
        await foreach (var d in lab.Client.FindAllDevicesAsync(new HubFilter().Ne("station", "nowhere"), sort: "name", pageSize: 1)) all.Add(d.Id);
        all.Should().Equal("lab-a", "old-d", "lab-c", "lab-b"); // "Alpha sensor" < "Delta" < "Gamma" < "beta Sensor" (ordinal)

        var ids = new List<string>();
        await foreach (var d in lab.Client.ListAllDevicesAsync(pageSize: 2)) ids.Add(d.Id);
        ids.Should().Equal("lab-a", "lab-b", "lab-c", "old-d");
        (await lab.Client.ListDevicesAsync(station: "lab", limit: 2)).Items.Select(d => d.Id).Should().Equal("lab-a", "lab-b");

        var foreign = await FluentActions.Awaiting(() => lab.Client.FindDevicesAsync(new HubFilter().Eq("online", true), after: first.Next))
            .Should().ThrowAsync<IoTException>();
        foreign.Which.Code.Should().Be(ErrorCode.BadRequest);
        foreign.Which.Message.Should().Contain("token of another query");
    }

    [Fact]
    public async Task Stations_are_found_the_same_way()
    {
        (await lab.Client.FindStationsAsync(new HubFilter().Eq("online", false))).Items.Select(s => s.Id).Should().Equal("old");
        var labStation = (await lab.Client.FindStationsAsync(new HubFilter().Gte("devices", 3))).Items.Should().ContainSingle().Subject;
        labStation.Id.Should().Be("lab");
        labStation.Props.Attributes!["site"]!.GetValue<string>().Should().Be("bench");
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { """{"filter":{"x":{"$foo":1}}}""", "unknown operator '$foo'" },
        { """{"filter":{"x":{"$gt":[1]}}}""", "$gt takes a number or a string" },
        { """{"filter":{"x":{"$in":5}}}""", "$in takes an array" },
        { """{"filter":{"x":[1,2]}}""", "use $in for a list" },
        { """{"filter":{"name":{"$regex":"(a"}}}""", "not a usable pattern" },
        { """{"filter":{"name":{"$regex":"(a)\\1"}}}""", "does not run" },
        { """{"filter":{"$or":[{"x":1}]}}""", "not supported at the top" },
        { """{"filter":[1]}""", "'filter' must be a JSON object" },
        { """{"filter":{"x":{"$exists":"yes"}}}""", "$exists takes true or false" },
        { """{"filter":{"x":{"$gt":1,"y":2}}}""", "mixes operators and fields" },
        { """{"filter":{"lastSeen":{"$gt":"yesterday"}}}""", "ISO 8601" },
        { """{"filter":{"x":{"$options":"i"}}}""", "$options goes with $regex" },
        { """{"sort":"attributes..model"}""", "sort:" },
        { """{"limit":0}""", "'limit' must be 1..1000" },
        { """{"after":"not-a-token"}""", "not a page token" },
        { """{"limit":"ten"}""", "'$.limit'" },
        { """not json""", "not a JSON object" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_query_gets_bad_request_saying_what_is_wrong_is_logged_once_and_the_hub_keeps_serving(string body, string says)
    {
        var before = lab.Env.Logs.Count(LogEvents.HubQueryFailed, e => e.Value("Code") == "BAD_REQUEST");
        var reply = await lab.Raw.RequestAsync(new TopicTree().HubQuery(HubQueryType.FindDevices),
            Encoding.UTF8.GetBytes(body));
        reply.UserProperty(Wire.ErrorCodeProperty).Should().Be("BAD_REQUEST");
        var error = JsonNode.Parse(reply.Payload)!["error"]!;
        error["code"]!.GetValue<string>().Should().Be("BAD_REQUEST");
        error["message"]!.GetValue<string>().Should().Contain(says);
        await Deadline.UntilAsync(() => Task.FromResult(lab.Env.Logs.Count(LogEvents.HubQueryFailed, e => e.Value("Code") == "BAD_REQUEST") > before), "the failure is logged");
        lab.Env.Logs.Count(LogEvents.HubQueryFailedInHub).Should().Be(0, "a bad query is the caller's problem, not an internal error");
        (await lab.Client.ListStationsAsync()).Items.Should().Equal("lab", "old");
    }

    /// <summary>A broker, a hub, and two stations with four devices, published as retained state like gateways do.</summary>
    public sealed class Lab : IAsyncLifetime
    {
        public TestEnvironment Env { get; private set; } = null!;
        public IoTHubClient Client { get; private set; } = null!;
        public RawClient Raw { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Env = await TestEnvironment.StartAsync(gateway: false, openEmbeddedBroker: true);
            Raw = await Env.ConnectRawAsync();
            var t = new TopicTree();
            await Station(t, "lab", true, """{"id":"lab","backend":"simulated","started":true,"knownDevices":3,"connectedDevices":2,"attributes":{"site":"bench"}}""");
            await Station(t, "old", false, """{"id":"old","backend":"simulated","started":false,"attributes":{"site":"attic"}}""");
            await Device(t, "lab-a", true, """{"id":"lab-a","station":"lab","name":"Alpha sensor","connected":true,"keys":["temperature","humidity"],"attributes":{"model":"thermo-x","index":1,"firmware":"1.0.0","rssi":-40}}""");
            await Device(t, "lab-b", false, """{"id":"lab-b","station":"lab","name":"beta Sensor","connected":false,"keys":["temperature"],"attributes":{"model":"thermo-y","index":2,"firmware":"1.2.0"}}""");
            await Device(t, "lab-c", true, """{"id":"lab-c","station":"lab","name":"Gamma","connected":true,"keys":[],"attributes":{"model":"thermo-x","index":3,"firmware":"2.0.0","tags":["indoor","east"]}}""");
            await Device(t, "old-d", true, """{"id":"old-d","station":"old","name":"Delta","connected":true,"keys":["temperature"],"attributes":{"model":"legacy","index":4}}""");
            await Env.StartHubAsync();
            Client = await Env.ConnectClientAsync();
        }

        private async Task Station(TopicTree t, string id, bool online, string props)
        {
            await Raw.PublishAsync(t.StationProps(id), Encoding.UTF8.GetBytes(props), retain: true);
            await Raw.PublishAsync(t.StationAvailability(id), Encoding.UTF8.GetBytes(online ? "online" : "offline"), retain: true);
        }

        private async Task Device(TopicTree t, string id, bool online, string props)
        {
            var station = System.Text.Json.Nodes.JsonNode.Parse(props)!["station"]!.GetValue<string>();
            await Raw.PublishAsync(t.DeviceProps(station, id), Encoding.UTF8.GetBytes(props), retain: true);
            await Raw.PublishAsync(t.DeviceAvailability(station, id), Encoding.UTF8.GetBytes(online ? "online" : "offline"), retain: true);
        }

        public async Task DisposeAsync() => await Env.DisposeAsync();
    }
}
