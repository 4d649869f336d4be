using MqttIoT.Gateway.Backends.Ble;

namespace MqttIoT.Tests;

/// <summary>The Current Time characteristic (0x2A2B) as the gateway writes and reads it, byte for byte.</summary>
public class BleCurrentTimeTests
{
    private static readonly DateTimeOffset Example = new(2024, 3, 10, 12, 34, 56, 500, TimeSpan.Zero);

    [Fact]
    public void Encodes_exact_time_256_and_a_manual_adjust_reason()
    {
        // year 2024 LE16, March 10, 12:34:56, Sunday = 7, 0.5 s = 128/256, adjust reason bit 0 (manual time update)
        Convert.ToHexStringLower(CurrentTime.Encode(Example, TimeZoneInfo.Utc)).Should().Be("e807030a0c2238078001");
    }

    [Fact]
    public void The_day_of_week_runs_from_monday_1_to_sunday_7()
    {
        var monday = new DateTimeOffset(2024, 3, 4, 8, 0, 0, TimeSpan.Zero);
        Enumerable.Range(0, 7).Select(d => CurrentTime.Encode(monday.AddDays(d), TimeZoneInfo.Utc)[7])
            .Should().Equal([1, 2, 3, 4, 5, 6, 7]);
    }

    [Fact]
    public void The_adjust_reason_sets_only_the_manual_update_bit()
    {
        // CTS 1.1, 3.1.2.2: bit 0 manual time update, 1 external reference, 2 time zone change, 3 DST change, 4-7 reserved.
        CurrentTime.Encode(Example, TimeZoneInfo.Utc)[9].Should().Be(0b0000_0001);
    }

    [Fact]
    public void Fractions_are_truncated_to_256ths_of_a_second()
    {
        CurrentTime.Encode(Example.AddMilliseconds(499), TimeZoneInfo.Utc)[8].Should().Be(255, "0.999 s is 255.7/256");
        CurrentTime.Encode(Example.AddMilliseconds(-500), TimeZoneInfo.Utc)[8].Should().Be(0);
    }

    [Fact]
    public void The_device_keeps_local_time_in_its_zone_and_decoding_gives_the_same_instant_back()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("UTC+11", TimeSpan.FromHours(11), "UTC+11", "UTC+11");
        var bytes = CurrentTime.Encode(Example, zone);
        // 12:34:56 UTC is 23:34:56 on Sunday in UTC+11; 14:00 UTC would already be Monday the 11th.
        Convert.ToHexStringLower(bytes).Should().Be("e807030a172238078001");
        CurrentTime.Decode(bytes, zone).Should().Be(Example);
        CurrentTime.Encode(Example.AddHours(2), zone)[3..8].Should().Equal([11, 1, 34, 56, 1], "Monday the 11th, 01:34:56");
    }

    [Fact]
    public void Decoding_round_trips_in_utc()
    {
        CurrentTime.Decode(CurrentTime.Encode(Example, TimeZoneInfo.Utc), TimeZoneInfo.Utc).Should().Be(Example);
        CurrentTime.Decode(Convert.FromHexString("e807030a0c2238078001"), TimeZoneInfo.Utc).Should().Be(Example);
    }

    [Theory]
    [InlineData("e807030a0c22380780", "nine bytes are too short")]
    [InlineData("00000000000000000000", "a device that does not know the time says year 0")]
    [InlineData("e807021e0c2238078001", "there is no February 30th")]
    [InlineData("e807030a182238078001", "there is no hour 24")]
    public void Decoding_refuses_what_is_not_a_time(string hex, string why) =>
        CurrentTime.Decode(Convert.FromHexString(hex), TimeZoneInfo.Utc).Should().BeNull(why);
}
