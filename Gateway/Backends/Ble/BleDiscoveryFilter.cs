namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// What a BLE station looks for. It is sent to BlueZ (<c>SetDiscoveryFilter</c>), and checked again on every device
/// BlueZ reports: BlueZ merges the filters of all its clients, so another client's wider filter brings devices
/// this one did not ask for.
/// </summary>
public sealed class BleDiscoveryFilter
{
    /// <summary>BlueZ's scan type: <c>le</c> (default), <c>bredr</c> or <c>auto</c>.</summary>
    public string Transport { get; set; } = "le";

    /// <summary>Service UUIDs a device must advertise (any of them); empty takes every device.</summary>
    public IReadOnlyList<string> ServiceUuids { get; set; } = [];

    /// <summary>Weakest RSSI (dBm) reported; null takes any.</summary>
    public short? RssiThreshold { get; set; }

    /// <summary>BlueZ's <c>Pattern</c>: a prefix of the device's address or name; null takes any.</summary>
    public string? NamePattern { get; set; }

    /// <summary>The filter as BlueZ's <c>SetDiscoveryFilter</c> dictionary.</summary>
    public IDictionary<string, object> ToBlueZ()
    {
        var filter = new Dictionary<string, object>(StringComparer.Ordinal) { ["Transport"] = Transport };
        if (ServiceUuids.Count > 0) filter["UUIDs"] = ServiceUuids.Select(Normalize).ToArray();
        if (RssiThreshold is { } rssi) filter["RSSI"] = rssi;
        if (!string.IsNullOrEmpty(NamePattern)) filter["Pattern"] = NamePattern;
        return filter;
    }

    /// <summary>Whether a device BlueZ reported is one this filter asked for.</summary>
    public bool Matches(string address, string? name, short? rssi, IEnumerable<string> uuids)
    {
        if (RssiThreshold is { } threshold && (rssi is null || rssi < threshold)) return false;
        if (!string.IsNullOrEmpty(NamePattern)
            && !address.StartsWith(NamePattern, StringComparison.OrdinalIgnoreCase)
            && !(name?.StartsWith(NamePattern, StringComparison.Ordinal) ?? false)) return false;
        if (ServiceUuids.Count > 0)
        {
            var wanted = ServiceUuids.Select(Normalize).ToHashSet(StringComparer.Ordinal);
            if (!uuids.Any(u => wanted.Contains(Normalize(u)))) return false;
        }
        return true;
    }

    /// <summary>Throws when the filter cannot work.</summary>
    public void Validate()
    {
        if (Transport is not ("le" or "bredr" or "auto")) throw new ArgumentException("Transport must be le, bredr or auto");
        foreach (var uuid in ServiceUuids)
            if (!GattNames.TryParseUuid(uuid, out _)) throw new ArgumentException($"'{uuid}' is not a UUID (16-bit like 180f, or 128-bit)");
    }

    private static string Normalize(string uuid) => GattNames.TryParseUuid(uuid, out var full) ? full : uuid.ToLowerInvariant();
}
