using System.Buffers.Binary;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// The Current Time characteristic (0x2A2B) of the Current Time Service: Exact Time 256 (year LE16, month, day,
/// hours, minutes, seconds, day of week 1 = Monday .. 7 = Sunday, fractions of 1/256 s) and an adjust reason.
/// </summary>
internal static class CurrentTime
{
    public const int Length = 10;

    /// <summary>Adjust reason bit 0: manual time update (the gateway set it).</summary>
    private const byte ManualUpdate = 0x01;

    public static byte[] Encode(DateTimeOffset utc, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(utc, zone).DateTime;
        var bytes = new byte[Length];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)local.Year);
        bytes[2] = (byte)local.Month;
        bytes[3] = (byte)local.Day;
        bytes[4] = (byte)local.Hour;
        bytes[5] = (byte)local.Minute;
        bytes[6] = (byte)local.Second;
        bytes[7] = (byte)(local.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)local.DayOfWeek);
        bytes[8] = (byte)(local.Ticks % TimeSpan.TicksPerSecond * 256 / TimeSpan.TicksPerSecond);
        bytes[9] = ManualUpdate;
        return bytes;
    }

    /// <summary>The device's time, or null when it does not know it (year or date 0) or the bytes are not a Current Time.</summary>
    public static DateTimeOffset? Decode(ReadOnlySpan<byte> bytes, TimeZoneInfo zone)
    {
        if (bytes.Length < Length) return null;
        int year = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        if (year is < 1582 or > 9999 || bytes[2] is < 1 or > 12 || bytes[3] < 1 || bytes[3] > DateTime.DaysInMonth(year, bytes[2])
            || bytes[4] > 23 || bytes[5] > 59 || bytes[6] > 59) return null;
        var local = new DateTime(year, bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], DateTimeKind.Unspecified)
            .AddTicks(bytes[8] * TimeSpan.TicksPerSecond / 256);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }
}
