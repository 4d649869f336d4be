using MqttIoT.Sdk.Contract;

namespace MqttIoT.Tests;

public class ContractTests
{
    [Theory]
    [InlineData("plain-id", "plain-id")]
    [InlineData("ns=2;s=Line/Motor1", "ns=2;s=Line%2FMotor1")]
    [InlineData("a+b#c", "a%2Bb%23c")]
    [InlineData("100%", "100%25")]
    [InlineData("$SYS", "%24SYS")]
    [InlineData("mid$dollar", "mid$dollar")]
    [InlineData("température/°C", "température%2F°C")]
    [InlineData("tab\there", "tab%09here")]
    public void Ids_escape_to_one_topic_level_and_back(string id, string escaped)
    {
        TopicSegment.Escape(id).Should().Be(escaped);
        TopicSegment.TryUnescape(escaped, out var back).Should().BeTrue();
        back.Should().Be(id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a+b")]
    [InlineData("#")]
    [InlineData("$x")]
    [InlineData("bad%zz")]
    [InlineData("short%2")]
    [InlineData("%41")] // 'A' escaped: not a spelling Escape produces, so two topics cannot name one id
    [InlineData("Line%2fMotor1")] // lower-case hex: Escape writes %2F, so this would be a second topic for one id
    [InlineData("tab\there")] // a bare control character: Escape writes %09
    [InlineData("del\u007Fx")]
    public void Levels_no_id_escapes_to_are_refused(string level) =>
        TopicSegment.TryUnescape(level, out _).Should().BeFalse();

    [Fact]
    public void Every_type_of_the_seed_is_on_the_wire()
    {
        WireName<StationEventType>.All.Should().HaveCount(10);
        WireName<DeviceEventType>.All.Should().HaveCount(8).And.Contain("SYNCED");
        WireName<DeviceRequestType>.All.Should().HaveCount(8);
        WireName<StationRequestType>.All.Should().HaveCount(8);
        WireName<StationQueryType>.All.Should().HaveCount(10);
        WireName<HubQueryType>.All.Should().HaveCount(6);
        WireName<StationEventType>.TryParse("DEVICE_DISCOVERED", out var e).Should().BeTrue();
        e.Should().Be(StationEventType.DeviceDiscovered);
        WireName<StationEventType>.TryParse("device_discovered", out _).Should().BeFalse("wire names are case-sensitive");
    }

    [Fact]
    public void Builders_follow_the_documented_patterns_and_parse_back()
    {
        var t = new TopicTree("r/v9");
        string Fill(string pattern, string? key = null) => pattern.Replace("{root}", "r/v9").Replace("{station}", "s%2F1")
            .Replace("{device}", "d%2B1").Replace("{client}", "c1").Replace("{key}", key ?? "k%231");
        var built = new Dictionary<string, string>
        {
            ["{root}/stations/{station}/props"] = t.StationProps("s/1"),
            ["{root}/stations/{station}/availability"] = t.StationAvailability("s/1"),
            ["{root}/stations/{station}/events/{STATION_EVENT}"] = t.StationEvent("s/1", StationEventType.Started),
            ["{root}/stations/{station}/requests/{STATION_REQUEST}"] = t.StationRequest("s/1", StationRequestType.Start),
            ["{root}/stations/{station}/queries/{STATION_QUERY}"] = t.StationQuery("s/1", StationQueryType.GetProps),
            ["{root}/stations/{station}/devices/{device}/props"] = t.DeviceProps("s/1", "d+1"),
            ["{root}/stations/{station}/devices/{device}/availability"] = t.DeviceAvailability("s/1", "d+1"),
            ["{root}/stations/{station}/devices/{device}/events/{DEVICE_EVENT}"] = t.DeviceEvent("s/1", "d+1", DeviceEventType.Connected),
            ["{root}/stations/{station}/devices/{device}/events/NOTIFIED/{key}"] = t.DeviceEvent("s/1", "d+1", DeviceEventType.Notified, "k#1"),
            ["{root}/stations/{station}/devices/{device}/requests/{DEVICE_REQUEST}"] = t.DeviceRequest("s/1", "d+1", DeviceRequestType.ReadValue),
            ["{root}/hub/queries/{HUB_QUERY}"] = t.HubQuery(HubQueryType.FindDevices),
            ["{root}/clients/{client}/replies"] = t.ClientReplies("c1"),
        };
        built.Keys.Should().BeEquivalentTo(TopicTree.Patterns);
        foreach (var (pattern, topic) in built)
        {
            var expected = Fill(pattern).Replace("{STATION_EVENT}", "STARTED").Replace("{STATION_REQUEST}", "START")
                .Replace("{STATION_QUERY}", "GET_PROPS").Replace("{DEVICE_EVENT}", "CONNECTED").Replace("{DEVICE_REQUEST}", "READ_VALUE")
                .Replace("{HUB_QUERY}", "FIND_DEVICES");
            topic.Should().Be(expected, pattern);
            t.TryParse(topic, out var parsed).Should().BeTrue(topic);
            if (parsed.Scope is TopicScope.Station) parsed.Id.Should().Be("s/1");
            if (parsed.Scope is TopicScope.Device) parsed.Id.Should().Be("d+1");
            if (parsed.Scope is TopicScope.Station or TopicScope.Device) parsed.Station.Should().Be("s/1");
        }
        t.TryParse(t.DeviceEvent("s/1", "d+1", DeviceEventType.Notified, "k#1"), out var n).Should().BeTrue();
        n.Key.Should().Be("k#1");
        n.Name.Should().Be("NOTIFIED");
    }

    [Theory]
    [InlineData("iot/v1")]
    [InlineData("iot/v1/")]
    [InlineData("other")]
    [InlineData("iot/v1/stations")]
    [InlineData("iot/v1/stations/s1")]
    [InlineData("iot/v1/stations/s1/unknown")]
    [InlineData("iot/v1/stations/a%2/props")]
    [InlineData("iot/v1/stations/s1/devices/d1/queries/GET_PROPS")]
    [InlineData("iot/v1/stations/s1/devices/d1/requests/READ_VALUE/extra")]
    [InlineData("iot/v1/stations/s1/devices/d1")]
    [InlineData("iot/v1/stations/s1/devices")]
    [InlineData("iot/v1/devices/d1/props")]
    [InlineData("iot/v2/stations/s1/devices/d1/props")]
    public void Topics_outside_the_grammar_do_not_parse(string topic) =>
        new TopicTree().TryParse(topic, out _).Should().BeFalse();

    [Fact]
    public void Filters_narrow_by_what_is_given()
    {
        var t = new TopicTree();
        t.DeviceEventsFilter().Should().Be("iot/v1/stations/+/devices/+/events/#");
        t.DeviceEventsFilter("s1", "d/1", DeviceEventType.Notified).Should().Be("iot/v1/stations/s1/devices/d%2F1/events/NOTIFIED/+");
        t.DeviceEventsFilter(null, null, null, "temp").Should().Be("iot/v1/stations/+/devices/+/events/NOTIFIED/temp");
        t.DeviceEventsFilter("s1", null, DeviceEventType.Connected).Should().Be("iot/v1/stations/s1/devices/+/events/CONNECTED");
        t.StationDeviceRequestsFilter("s/1").Should().Be("iot/v1/stations/s%2F1/devices/+/requests/+");
        t.AllDevicePropsFilter.Should().Be("iot/v1/stations/+/devices/+/props");
        t.StationEventsFilter().Should().Be("iot/v1/stations/+/events/+");
        t.HubQueriesSharedFilter.Should().Be("$share/mqttiot-hub/iot/v1/hub/queries/+");
    }

    [Theory]
    [InlineData("my/replies", true)]
    [InlineData("iot/v1/clients/c1/replies", true)]
    [InlineData("iot/v1/stations/s1/devices/d1/props", false)]
    [InlineData("iot/v1/stations/s1/availability", false)]
    [InlineData("iot/v1/hub/queries/LIST_DEVICES", false)]
    [InlineData("a/+/b", false)]
    [InlineData("$SYS/x", false)]
    [InlineData("", false)]
    public void Responders_only_reply_outside_the_state_subtrees(string topic, bool allowed) =>
        new TopicTree().IsAllowedResponseTopic(topic).Should().Be(allowed);

    [Fact]
    public void Bytes_travel_as_hex_with_text_when_printable()
    {
        ValueCodec.ToHex([0x0a, 0xff]).Should().Be("0aff");
        ValueCodec.TryFromHex("0A FF", out var b).Should().BeTrue();
        b.Should().Equal(0x0a, 0xff);
        ValueCodec.TryFromHex("0x0102", out b).Should().BeTrue();
        b.Should().Equal(1, 2);
        ValueCodec.TryFromHex("abc", out _).Should().BeFalse();
        ValueCodec.TryFromHex("zz", out _).Should().BeFalse();
        ValueCodec.ToText("21.5"u8).Should().Be("21.5");
        ValueCodec.ToText([0x01, 0x02]).Should().BeNull();
        ValueCodec.ToText([0xff, 0xfe]).Should().BeNull();
    }
}
