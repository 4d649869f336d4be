using System.Text.RegularExpressions;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Tests;

/// <summary>topics.md and the code's contract (Contract/) say the same thing; either side changing alone fails here.</summary>
public partial class TopicsDocTests
{
    private static readonly string Doc = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "topics.md"));

    public static TheoryData<string, string[]> Sections => new()
    {
        { "Station events", WireName<StationEventType>.All.ToArray() },
        { "Device events", WireName<DeviceEventType>.All.ToArray() },
        { "Station requests", WireName<StationRequestType>.All.ToArray() },
        { "Station queries", WireName<StationQueryType>.All.ToArray() },
        { "Device requests", WireName<DeviceRequestType>.All.ToArray() },
        { "Hub queries", WireName<HubQueryType>.All.ToArray() },
        { "Error codes", WireName<ErrorCode>.All.ToArray() },
    };

    [Theory]
    [MemberData(nameof(Sections))]
    public void Each_section_lists_exactly_the_names_of_the_code(string section, string[] names) =>
        TableKeys(Section(section)).Should().BeEquivalentTo(names, $"the table of \"{section}\" in topics.md must match the code");

    [Fact]
    public void The_topic_tree_lists_exactly_the_patterns_of_the_code() =>
        TableKeys(Section("Topic tree")).Should().BeEquivalentTo(TopicTree.Patterns);

    [Fact]
    public void The_escaping_examples_are_what_the_code_does()
    {
        var rows = TableRows(Section("Topic tree")[Section("Topic tree").IndexOf("### Ids in topics", StringComparison.Ordinal)..]).ToList();
        rows.Should().HaveCountGreaterThanOrEqualTo(4);
        foreach (var (id, level) in rows) TopicSegment.Escape(id).Should().Be(level, $"topics.md says '{id}' escapes to '{level}'");
    }

    [Fact]
    public void Every_example_command_addresses_a_topic_of_the_tree_and_a_known_type()
    {
        var tree = new TopicTree();
        var topics = ExampleTopic().Matches(Doc).Select(m => m.Groups[1].Value).Where(t => t.StartsWith("iot/v1/", StringComparison.Ordinal)).ToList();
        topics.Should().HaveCountGreaterThan(10);
        foreach (var topic in topics.Where(t => !t.Contains('+') && !t.Contains('#')))
        {
            tree.TryParse(topic, out var parsed).Should().BeTrue($"example topic {topic} should parse");
            if (parsed.Kind is TopicKind.Request or TopicKind.Query)
                HandlerNames(parsed).Should().Contain(parsed.Name, $"example topic {topic} names a type of the contract");
        }
    }

    [Fact]
    public void The_documented_user_properties_and_share_group_are_the_code_s()
    {
        Doc.Should().Contain($"`{Wire.StatusProperty}`").And.Contain($"`{Wire.ErrorCodeProperty}`")
            .And.Contain($"`{Wire.StatusOk}`").And.Contain($"`{Wire.StatusError}`")
            .And.Contain($"`{Wire.Online}`").And.Contain($"`{Wire.Offline}`").And.Contain($"`{Wire.TimeoutProperty}`")
            .And.Contain(new TopicTree("{root}").HubQueriesSharedFilter);
    }

    /// <summary>The request and query tables whose second column names the options, and the body type that carries them.</summary>
    public static TheoryData<string, string> OptionSections => new()
    {
        { "Station requests", nameof(RequestBody) },
        { "Station queries", nameof(RequestBody) },
        { "Device requests", nameof(RequestBody) },
        { "Hub queries", nameof(HubQueryBody) },
    };

    [Theory]
    [MemberData(nameof(OptionSections))]
    public void Every_option_a_table_names_is_a_field_of_the_body_the_code_reads(string section, string body)
    {
        var fields = BodyFields(body);
        var rows = OptionRows(Section(section)).ToList();
        rows.Should().NotBeEmpty();
        foreach (var (type, options) in rows)
        foreach (Match option in CodeSpan().Matches(options).Where(m => !JsonLiterals.Contains(m.Groups[1].Value)))
            fields.Should().Contain(option.Groups[1].Value, $"topics.md's \"{section}\" gives {type} the option `{option.Groups[1].Value}`");
    }

    [Fact]
    public void Every_field_of_a_body_is_an_option_of_some_type_in_topics_md()
    {
        foreach (var body in new[] { nameof(RequestBody), nameof(HubQueryBody) })
        {
            var documented = OptionSections.Where(row => (string)row[1] == body)
                .SelectMany(row => OptionRows(Section((string)row[0])))
                .SelectMany(r => CodeSpan().Matches(r.Options).Select(m => m.Groups[1].Value)).Except(JsonLiterals).ToHashSet(StringComparer.Ordinal);
            // The MQTT 3.1.1 fallback's reply address is documented in its own section.
            var fields = BodyFields(body).Except(["responseTopic", "correlationId"]);
            fields.Should().OnlyContain(f => documented.Contains(f), $"every field of {body} is an option some type of topics.md names");
        }
    }

    private static readonly string[] JsonLiterals = ["true", "false", "null"];

    private static HashSet<string> BodyFields(string body)
    {
        var type = body == nameof(RequestBody) ? typeof(RequestBody) : typeof(HubQueryBody);
        return ContractJson.Default.GetTypeInfo(type)!.Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>(type, options cell) of each row of a section's first table.</summary>
    private static IEnumerable<(string Type, string Options)> OptionRows(string section)
    {
        var end = section.IndexOf("\n### ", StringComparison.Ordinal);
        return OptionsCell().Matches(end < 0 ? section : section[..end]).Select(m => (m.Groups[1].Value, m.Groups[2].Value));
    }

    private static IEnumerable<string> HandlerNames(ParsedTopic t) => (t.Scope, t.Kind) switch
    {
        (TopicScope.Station, TopicKind.Request) => WireName<StationRequestType>.All,
        (TopicScope.Station, TopicKind.Query) => WireName<StationQueryType>.All,
        (TopicScope.Device, TopicKind.Request) => WireName<DeviceRequestType>.All,
        (TopicScope.Hub, TopicKind.Query) => WireName<HubQueryType>.All,
        _ => [],
    };

    private static string Section(string heading)
    {
        var start = Doc.IndexOf($"\n## {heading}\n", StringComparison.Ordinal);
        start.Should().BeGreaterThanOrEqualTo(0, $"topics.md has a section \"## {heading}\"");
        var end = Doc.IndexOf("\n## ", start + 4, StringComparison.Ordinal);
        return end < 0 ? Doc[start..] : Doc[start..end];
    }

    /// <summary>The first cell of each table row, when it is one code span.</summary>
    private static List<string> TableKeys(string section)
    {
        var end = section.IndexOf("\n### ", StringComparison.Ordinal);
        return FirstCell().Matches(end < 0 ? section : section[..end]).Select(m => m.Groups[1].Value).ToList();
    }

    private static IEnumerable<(string, string)> TableRows(string section) =>
        TwoCells().Matches(section).Select(m => (m.Groups[1].Value, m.Groups[2].Value));

    [GeneratedRegex(@"^\| `([^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex FirstCell();

    [GeneratedRegex(@"^\| `([^`]+)`[^|]* \| `([^`]+)` \|$", RegexOptions.Multiline)]
    private static partial Regex TwoCells();

    [GeneratedRegex(@"^\| `([A-Z_]+)` \| ([^|]*) \|", RegexOptions.Multiline)]
    private static partial Regex OptionsCell();

    [GeneratedRegex(@"`([a-z][A-Za-z]*)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"-t '([^']+)'")]
    private static partial Regex ExampleTopic();
}
