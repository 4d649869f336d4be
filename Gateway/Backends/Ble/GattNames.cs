using System.Globalization;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// Friendly key names for the GATT characteristics whose UUIDs the Bluetooth SIG assigned (Assigned Numbers,
/// "GATT Characteristic UUIDs"), and UUID parsing. A characteristic without a friendly name is keyed by its UUID.
/// </summary>
public static class GattNames
{
    /// <summary>The Current Time Service.</summary>
    public static readonly string CurrentTimeService = Sig(0x1805);

    /// <summary>The Current Time characteristic of the Current Time Service.</summary>
    public static readonly string CurrentTime = Sig(0x2A2B);

    private static readonly Dictionary<string, string> ByUuid = new Dictionary<ushort, string>
    {
        [0x2A00] = "device_name",
        [0x2A01] = "appearance",
        [0x2A05] = "service_changed",
        [0x2A19] = "battery_level",
        [0x2A1C] = "temperature_measurement",
        [0x2A23] = "system_id",
        [0x2A24] = "model_number",
        [0x2A25] = "serial_number",
        [0x2A26] = "firmware_revision",
        [0x2A27] = "hardware_revision",
        [0x2A28] = "software_revision",
        [0x2A29] = "manufacturer_name",
        [0x2A2B] = "current_time",
        [0x2A0F] = "local_time_information",
        [0x2A37] = "heart_rate_measurement",
        [0x2A38] = "body_sensor_location",
        [0x2A6D] = "pressure",
        [0x2A6E] = "temperature",
        [0x2A6F] = "humidity",
    }.ToDictionary(p => Sig(p.Key), p => p.Value, StringComparer.Ordinal);

    /// <summary>The friendly name of a known characteristic UUID, else null.</summary>
    public static string? Friendly(string uuid) => TryParseUuid(uuid, out var full) && ByUuid.TryGetValue(full, out var name) ? name : null;

    /// <summary>The 128-bit lower-case form of a SIG 16-bit UUID.</summary>
    public static string Sig(ushort shortUuid) => $"0000{shortUuid:x4}-0000-1000-8000-00805f9b34fb";

    /// <summary>Parses a 16-bit (<c>2a19</c>, <c>0x2A19</c>) or 128-bit UUID into BlueZ's 128-bit lower-case form.</summary>
    public static bool TryParseUuid(string text, out string uuid)
    {
        var t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) t = t[2..];
        if (t.Length == 4 && ushort.TryParse(t, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var shortUuid))
        {
            uuid = Sig(shortUuid);
            return true;
        }
        if (Guid.TryParseExact(t, "D", out var guid))
        {
            uuid = guid.ToString("D");
            return true;
        }
        uuid = "";
        return false;
    }
}
