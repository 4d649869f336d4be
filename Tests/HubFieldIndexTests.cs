using System.Globalization;
using System.Text;
using System.Text.Json;
using MqttIoT.Hub.Filtering;
using MqttIoT.Hub.Index;
using MqttIoT.Hub.Queries;

namespace MqttIoT.Tests;

/// <summary>
/// The hub's field indexes, in process over its own index types (no broker: what is tested is that FIND through an
/// index answers exactly what the plain scan answers, and that the indexes follow every change of the records).
/// </summary>
public class HubFieldIndexTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly string[] Stations = ["st-a", "st-b", "st-c"];
    private static readonly string[] Models = ["m-a", "m-b", "m-c", "M-a", ""];
    private static readonly string[] Tags = ["east", "west", "north", "indoor"];

    [Fact]
    public void Random_filters_sorts_and_pages_give_the_scans_answer_before_and_after_the_records_change()
    {
        const int seed = 20261201;
        var random = new Random(seed);
        using var index = new HubIndex();
        // A small cap, so indexes are dropped and made again while the test runs.
        index.Devices.Indexes.MinRecords = 0;
        index.Devices.Indexes.MaxIndexes = 5;
        foreach (var s in Stations) PutStation(index, s, online: s != "st-c");
        var held = new List<RecordKey>();
        for (var n = 0; n < 3000; n++)
        {
            var key = new RecordKey($"d-{random.Next(2400):0000}", Stations[random.Next(Stations.Length)]);
            Put(index, key, RandomProps(random, key));
            if (!held.Contains(key)) held.Add(key);
        }

        var checkedPages = Compare(index, random, queries: 300, seed);
        var plansBefore = index.Devices.Indexes.Plans;
        plansBefore.Should().BeGreaterThan(60, "the random filters must go through indexes often, or nothing is compared");

        // Changes with the indexes in place: new values, removals, moves to another station, new records.
        for (var n = 0; n < 1500; n++)
        {
            var key = held[random.Next(held.Count)];
            switch (random.Next(4))
            {
                case 0:
                    Clear(index, key);
                    held.Remove(key);
                    break;
                case 1:
                    Clear(index, key);
                    held.Remove(key);
                    var moved = key with { Station = Stations[(Array.IndexOf(Stations, key.Station) + 1) % Stations.Length] };
                    Put(index, moved, RandomProps(random, moved));
                    if (!held.Contains(moved)) held.Add(moved);
                    break;
                default:
                    Put(index, key, RandomProps(random, key));
                    break;
            }
        }
        AssertIndexesMatchAFreshBuild(index);
        checkedPages += Compare(index, random, queries: 300, seed);
        index.Devices.Indexes.Plans.Should().BeGreaterThan(plansBefore + 60);
        index.Devices.Indexes.Count.Should().BeLessThanOrEqualTo(5);
        checkedPages.Should().BeGreaterThan(600);
    }

    [Fact]
    public void An_updated_value_a_removed_record_and_a_device_that_moves_station_are_found_where_they_now_are()
    {
        using var index = Filled(out var model);
        var key = new RecordKey("target", "st-a");
        Put(index, key, """{"attributes":{"model":"old-model","index":7}}""");
        Ids(index, """{"attributes.model":"old-model"}""").Should().Equal("target@st-a");
        index.Devices.Indexes.Paths.Should().Contain(model, "the first FIND on the path made its index");

        Put(index, key, """{"attributes":{"model":"new-model","index":7}}""");
        Ids(index, """{"attributes.model":"old-model"}""").Should().BeEmpty();
        Ids(index, """{"attributes.model":"new-model"}""").Should().Equal("target@st-a");

        // Moving: cleared under st-a, published under st-b (what a gateway does when a device changes hands).
        Clear(index, key);
        Ids(index, """{"attributes.model":"new-model"}""").Should().BeEmpty();
        Put(index, key with { Station = "st-b" }, """{"attributes":{"model":"new-model","index":7}}""");
        Ids(index, """{"attributes.model":"new-model"}""").Should().Equal("target@st-b");
        Ids(index, """{"attributes.model":"new-model","station":"st-a"}""").Should().BeEmpty();

        var plans = index.Devices.Indexes.Plans;
        Clear(index, key with { Station = "st-b" });
        Ids(index, """{"attributes.model":"new-model"}""").Should().BeEmpty();
        index.Devices.Indexes.Plans.Should().Be(plans + 1, "the answer came through the index");
        AssertIndexesMatchAFreshBuild(index);
    }

    [Fact]
    public void Two_ranges_on_an_array_match_through_different_elements_as_in_the_scan()
    {
        using var index = Filled(out _);
        Put(index, new("spread", "st-a"), """{"attributes":{"index":[0,100]}}""");
        Put(index, new("twice", "st-a"), """{"attributes":{"index":[30,31,30]}}""");
        // No single value is above 50 and below 5, yet 100 is above and 0 below: the record matches.
        Ids(index, """{"attributes.index":{"$gt":50,"$lt":5}}""").Should().Equal("spread@st-a");
        Ids(index, """{"attributes.index":{"$gte":30,"$lt":32}}""").Should().Contain("twice@st-a").And.OnlyHaveUniqueItems();
        Ids(index, """{"attributes.index":{"$in":[30,31,100]}}""").Should().Contain(["twice@st-a", "spread@st-a"]).And.OnlyHaveUniqueItems();
        Ids(index, """{"attributes.index":{"$gte":0},"props.attributes.index":{"$lte":0}}""").Should().Contain("spread@st-a");
    }

    [Fact]
    public void Past_the_cap_the_least_recently_used_index_goes_and_answers_stay_right()
    {
        using var index = Filled(out var model);
        index.Devices.Indexes.MaxIndexes = 2;
        index.Paths.TryGet("attributes.index", out var indexPath).Should().BeTrue();
        index.Paths.TryGet("attributes.rssi", out var rssiPath).Should().BeTrue();
        var byModel = Ids(index, """{"attributes.model":"m-7"}""");
        Ids(index, """{"attributes.index":3}""");
        Ids(index, """{"attributes.model":"m-7"}""").Should().Equal(byModel);
        Ids(index, """{"attributes.rssi":{"$lt":-95}}""");
        index.Devices.Indexes.Paths.Should().BeEquivalentTo([model, rssiPath], "attributes.index was used least recently");
        Ids(index, """{"attributes.index":3}""").Should().Equal(Scan(index, """{"attributes.index":3}"""));
        index.Devices.Indexes.Count.Should().Be(2);
        index.Devices.Indexes.Paths.Should().Contain(indexPath);
    }

    /// <summary>200 devices of 20 models over two stations, with indexes allowed at any size; <paramref name="modelPath"/> is attributes.model's id.</summary>
    private static HubIndex Filled(out int modelPath)
    {
        var index = new HubIndex();
        index.Devices.Indexes.MinRecords = 0;
        foreach (var s in Stations) PutStation(index, s, online: true);
        for (var n = 0; n < 200; n++)
            Put(index, new($"dev-{n:000}", Stations[n % 2]),
                $$$"""{"attributes":{"model":"m-{{{n % 20}}}","index":{{{n}}},"rssi":{{{-n % 100}}}}}""");
        index.Paths.TryGet("attributes.model", out modelPath).Should().BeTrue();
        return index;
    }

    private static List<string> Ids(HubIndex index, string filter) => All(index, filter, null, 7, useIndexes: true).Select(k => $"{k.Id}@{k.Station}").ToList();

    private static List<string> Scan(HubIndex index, string filter) => All(index, filter, null, 7, useIndexes: false).Select(k => $"{k.Id}@{k.Station}").ToList();

    private static List<RecordKey> All(HubIndex index, string filterText, string? sortText, int limit, bool useIndexes)
    {
        var pages = Pages(index, filterText, sortText, limit, useIndexes, maxPages: 1000);
        pages[^1].Next.Should().BeNull("every page was read");
        return pages.SelectMany(p => p.Keys).ToList();
    }

    /// <summary>The pages of a FIND (up to <paramref name="maxPages"/>), as the hub's handler runs it (indexes made first unless <paramref name="useIndexes"/> is off).</summary>
    private static List<(List<RecordKey> Keys, string? Next)> Pages(HubIndex index, string filterText, string? sortText, int limit, bool useIndexes, int maxPages)
    {
        var filter = FilterParser.Parse(JsonDocument.Parse(filterText).RootElement, devices: true, index.Paths);
        var sort = SortSpec.Parse(sortText, devices: true, index.Paths);
        var hash = PageToken.Hash("FIND_DEVICES", filterText, sortText);
        if (useIndexes) QueryEngine.PrepareIndexes(index, devices: true, filter);
        var pages = new List<(List<RecordKey>, string?)>();
        string? after = null;
        for (var page = 0; page < maxPages; page++)
        {
            var (items, next) = index.Read(i => QueryEngine.Find(i, devices: true, filter, sort, after, limit, hash, useIndexes));
            pages.Add((items.Select(r => r.Key).ToList(), next));
            if (next is null) break;
            after = next;
        }
        return pages;
    }

    /// <summary>Runs random FINDs through the indexes and through the scan; returns how many pages were compared.</summary>
    private static int Compare(HubIndex index, Random random, int queries, int seed)
    {
        string?[] sorts = [null, "attributes.index", "-attributes.index", "attributes.model", "-name", "keys", "-attributes.tags", "id", "-id", "station", "list.v", "-attributes.rssi"];
        var pages = 0;
        for (var q = 0; q < queries; q++)
        {
            var filter = RandomFilter(random);
            var sort = sorts[random.Next(sorts.Length)];
            var limit = random.Next(4) == 0 ? random.Next(1, 4) : random.Next(20, 120);
            // The first 40 pages of each (small pages of a broad filter would be thousands).
            var indexed = Pages(index, filter, sort, limit, useIndexes: true, maxPages: 40);
            var scanned = Pages(index, filter, sort, limit, useIndexes: false, maxPages: 40);
            var what = $"seed {seed}, query {q}: filter {filter}, sort {sort ?? "(id)"}, limit {limit}";
            indexed.Count.Should().Be(scanned.Count, what);
            for (var p = 0; p < scanned.Count; p++)
            {
                indexed[p].Keys.Should().Equal(scanned[p].Keys, $"{what}, page {p}");
                indexed[p].Next.Should().Be(scanned[p].Next, $"{what}, page {p}");
            }
            pages += scanned.Count;
        }
        return pages;
    }

    /// <summary>Each index the table holds answers every interval as one built from scratch over the records now.</summary>
    private static void AssertIndexesMatchAFreshBuild(HubIndex index)
    {
        ValueInterval[] probes =
        [
            new(ValueBound.Before(FieldValue.Of(false)), ValueBound.Before(FieldValue.Object)),
            ValueInterval.Point(FieldValue.Of(true)),
            new(ValueBound.Before(FieldValue.Of(double.NegativeInfinity)), ValueBound.Past(FieldValue.Of(10))),
            new(ValueBound.Past(FieldValue.Of(10)), ValueBound.Before(FieldValue.Of(""))),
            new(ValueBound.Before(FieldValue.Of("")), ValueBound.Past(FieldValue.Of("m-b"))),
            new(ValueBound.Before(FieldValue.Of("m")), ValueBound.Before(FieldValue.Object)),
        ];
        index.Read(i =>
        {
            foreach (var path in i.Devices.Indexes.Paths.ToList())
            {
                i.Devices.Indexes.TryGet(path, out var kept).Should().BeTrue();
                var fresh = FieldIndex.Build(path, i.Devices.Records);
                kept.Count.Should().Be(fresh.Count, $"path {path}");
                kept.MultiValued.Should().BeEquivalentTo(fresh.MultiValued, $"path {path}");
                foreach (var probe in probes)
                {
                    kept.CountIn(probe).Should().Be(fresh.CountIn(probe), $"path {path}, {probe}");
                    kept.KeysIn(probe).Should().Equal(fresh.KeysIn(probe), $"path {path}, {probe}");
                }
            }
            return 0;
        });
    }

    private static string RandomProps(Random random, RecordKey key)
    {
        var attributes = new List<string>();
        void Maybe(int percent, string name, string json) { if (random.Next(100) < percent) attributes.Add($"\"{name}\":{json}"); }
        Maybe(90, "model", random.Next(10) switch { 0 => "null", 1 => "3", _ => Json(Models[random.Next(Models.Length)]) });
        Maybe(85, "index", random.Next(12) switch
        {
            0 => "\"12\"",
            1 => "true",
            2 => "2.5",
            3 => $"[{random.Next(40)},{random.Next(40)}]",
            4 => "[]",
            _ => random.Next(40).ToString(CultureInfo.InvariantCulture),
        });
        Maybe(60, "rssi", (-random.Next(30, 100)).ToString(CultureInfo.InvariantCulture));
        Maybe(50, "tags", "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => random.Next(6) == 0 ? "7" : Json(Tags[random.Next(Tags.Length)]))) + "]");
        var list = random.Next(5) == 0 ? $",\"list\":[{{\"v\":{random.Next(5)}}},{{\"v\":{random.Next(5)}}}]" : "";
        var keys = string.Join(",", new[] { "t", "h", "c" }.Where(_ => random.Next(2) == 0).Select(Json));
        return $$"""{"id":{{Json(key.Id)}},"station":{{Json(key.Station!)}},"name":{{Json($"Dev {random.Next(50)}")}},"connected":{{(random.Next(3) > 0 ? "true" : "false")}},"keys":[{{keys}}],"attributes":{{{string.Join(",", attributes)}}}{{list}}}""";
    }

    private static string RandomFilter(Random random)
    {
        var fields = new Dictionary<string, List<string>>();
        void Add(string path, string op, string operand)
        {
            if (!fields.TryGetValue(path, out var ops)) fields[path] = ops = [];
            if (op.Length == 0) { if (ops.Count == 0) ops.Add(operand); return; }
            if (ops.Count > 0 && !ops[0].StartsWith('"')) return; // already an equality
            if (ops.Any(o => o.StartsWith($"\"{op}\"", StringComparison.Ordinal))) return;
            ops.Add($"\"{op}\":{operand}");
        }
        string[] paths = ["attributes.model", "attributes.index", "props.attributes.index", "attributes.rssi", "attributes.tags", "keys", "name", "list.v", "connected", "online", "station", "no.such"];
        for (int n = 0, count = random.Next(1, 4); n < count; n++)
        {
            var path = paths[random.Next(paths.Length)];
            var value = RandomOperand(random, path);
            switch (random.Next(10))
            {
                case 0 or 1 or 2: Add(path, "", value); break;
                case 3: Add(path, "$in", "[" + string.Join(",", Enumerable.Range(0, random.Next(1, 5)).Select(_ => RandomOperand(random, path))) + "]"); break;
                case 4: Add(path, "$ne", value); break;
                case 5: Add(path, "$exists", random.Next(2) == 0 ? "true" : "false"); break;
                case 6 when path != "online" && path != "connected": Add(path, "$regex", random.Next(2) == 0 ? "\"^m\"" : "\"a$\""); break;
                default:
                    var ordered = value is "null" or "true" or "false" ? "5" : value;
                    Add(path, new[] { "$gt", "$gte", "$lt", "$lte" }[random.Next(4)], ordered);
                    if (random.Next(2) == 0) Add(path, new[] { "$gt", "$gte", "$lt", "$lte" }[random.Next(4)], RandomNumberOrString(random));
                    break;
            }
        }
        var body = new StringBuilder("{");
        foreach (var (path, ops) in fields)
        {
            if (body.Length > 1) body.Append(',');
            body.Append(Json(path)).Append(':');
            body.Append(ops[0].StartsWith("\"$", StringComparison.Ordinal) ? "{" + string.Join(",", ops) + "}" : ops[0]);
        }
        return body.Append('}').ToString();
    }

    private static string RandomOperand(Random random, string path) => random.Next(8) switch
    {
        0 => "null",
        1 => random.Next(2) == 0 ? "true" : "false",
        _ => path switch
        {
            "attributes.model" => Json(Models[random.Next(Models.Length)]),
            "attributes.tags" => random.Next(4) == 0 ? "7" : Json(Tags[random.Next(Tags.Length)]),
            "keys" => Json(new[] { "t", "h", "c", "x" }[random.Next(4)]),
            "name" => Json($"Dev {random.Next(50)}"),
            "station" => Json(Stations[random.Next(Stations.Length)]),
            _ => RandomNumberOrString(random),
        },
    };

    private static string RandomNumberOrString(Random random) => random.Next(6) switch
    {
        0 => Json(Models[random.Next(Models.Length)]),
        1 => "\"12\"",
        2 => "2.5",
        _ => (random.Next(-100, 45)).ToString(CultureInfo.InvariantCulture),
    };

    private static string Json(string s) => JsonSerializer.Serialize(s);

    private static void Put(HubIndex index, RecordKey key, string props)
    {
        ParsedProps.TryParse(Encoding.UTF8.GetBytes(props), index.Paths, out var parsed, out var error).Should().BeTrue(error);
        index.Write(i => i.ApplyProps(isDevice: true, key, parsed, retained: false, generation: 1, Now, new IndexChanges()));
    }

    private static void Clear(HubIndex index, RecordKey key) =>
        index.Write(i => i.ApplyProps(isDevice: true, key, null, retained: false, generation: 1, Now, new IndexChanges()));

    private static void PutStation(HubIndex index, string id, bool online)
    {
        ParsedProps.TryParse(Encoding.UTF8.GetBytes($$"""{"id":"{{id}}"}"""), index.Paths, out var parsed, out _);
        index.Write(i =>
        {
            i.ApplyProps(isDevice: false, new RecordKey(id, null), parsed, retained: false, generation: 1, Now, new IndexChanges());
            i.ApplyAvailability(isDevice: false, new RecordKey(id, null), online, retained: false, Now, new IndexChanges());
        });
    }
}
