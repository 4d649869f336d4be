using System.Text.Json.Nodes;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>Reads BlueZ's property values (D-Bus variants as Tmds.DBus hands them over) into plain .NET and JSON.</summary>
internal static class BlueZValues
{
    public static string? String(IDictionary<string, object> props, string name) => props.TryGetValue(name, out var v) ? v as string : null;

    public static bool Bool(IDictionary<string, object> props, string name) => props.TryGetValue(name, out var v) && v is true;

    public static short? Int16(IDictionary<string, object> props, string name) => props.TryGetValue(name, out var v) && v is short s ? s : null;

    public static string[] Strings(IDictionary<string, object> props, string name) =>
        props.TryGetValue(name, out var v) && v is IEnumerable<string> list ? list.ToArray() : [];

    /// <summary>ManufacturerData (<c>a{qv}</c>): company id to bytes.</summary>
    public static IReadOnlyDictionary<ushort, byte[]> ManufacturerData(IDictionary<string, object> props) =>
        props.TryGetValue("ManufacturerData", out var v) && v is IEnumerable<KeyValuePair<ushort, object>> entries
            ? entries.Where(e => e.Value is byte[]).ToDictionary(e => e.Key, e => (byte[])e.Value)
            : new Dictionary<ushort, byte[]>();

    /// <summary>ServiceData (<c>a{sv}</c>): service UUID to bytes.</summary>
    public static IReadOnlyDictionary<string, byte[]> ServiceData(IDictionary<string, object> props) =>
        props.TryGetValue("ServiceData", out var v) && v is IEnumerable<KeyValuePair<string, object>> entries
            ? entries.Where(e => e.Value is byte[]).ToDictionary(e => e.Key, e => (byte[])e.Value, StringComparer.Ordinal)
            : new Dictionary<string, byte[]>(StringComparer.Ordinal);

    /// <summary>What a device advertises, for DEVICE_DISCOVERED and the device's props.</summary>
    public static JsonObject Advertisement(IDictionary<string, object> props)
    {
        var json = new JsonObject { ["address"] = String(props, "Address") };
        if (String(props, "Name") is { } name) json["name"] = name;
        if (Int16(props, "RSSI") is { } rssi) json["rssi"] = rssi;
        if (String(props, "AddressType") is { } type) json["addressType"] = type;
        var uuids = Strings(props, "UUIDs");
        if (uuids.Length > 0) json["uuids"] = new JsonArray([.. uuids.Select(u => (JsonNode?)u)]);
        var manufacturer = ManufacturerData(props);
        if (manufacturer.Count > 0)
        {
            var m = new JsonObject();
            foreach (var (id, bytes) in manufacturer) m[$"0x{id:x4}"] = ValueCodec.ToHex(bytes);
            json["manufacturerData"] = m;
        }
        var service = ServiceData(props);
        if (service.Count > 0)
        {
            var s = new JsonObject();
            foreach (var (uuid, bytes) in service) s[uuid] = ValueCodec.ToHex(bytes);
            json["serviceData"] = s;
        }
        return json;
    }
}
