using System.Buffers;
using System.Text.Json;
using MqttIoT.Hub.Index;

namespace MqttIoT.Hub.Queries;

/// <summary>
/// Writes records in the shape of the Sdk's <c>DeviceRecord</c> and <c>StationRecord</c> (topics.md, "Hub records"),
/// the props bytes copied as the gateway published them.
/// </summary>
internal static class RecordWriter
{
    public static byte[] Record(IndexRecord record, HubIndex index) => Write(w => WriteRecord(w, record, index));

    public static byte[] Page(IReadOnlyList<IndexRecord> items, string? next, HubIndex index) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("items"u8);
        foreach (var r in items) WriteRecord(w, r, index);
        w.WriteEndArray();
        if (next is not null) w.WriteString("next"u8, next);
        w.WriteEndObject();
    });

    /// <summary>A LIST_* page: station ids, or devices as <c>{"id","station"}</c> (a device id alone is unique only within its station).</summary>
    public static byte[] KeyPage(IReadOnlyList<RecordKey> keys, bool devices, string? next) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("items"u8);
        foreach (var k in keys)
        {
            if (!devices) { w.WriteStringValue(k.Id); continue; }
            w.WriteStartObject();
            w.WriteString("id"u8, k.Id);
            if (k.Station is not null) w.WriteString("station"u8, k.Station);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (next is not null) w.WriteString("next"u8, next);
        w.WriteEndObject();
    });

    private static void WriteRecord(Utf8JsonWriter w, IndexRecord r, HubIndex index)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, r.Id);
        if (r.IsDevice && r.Station is not null) w.WriteString("station"u8, r.Station);
        w.WriteBoolean("online"u8, r.Online);
        w.WriteBoolean("stale"u8, r.Stale);
        w.WriteString("firstSeen"u8, r.FirstSeen);
        w.WriteString("lastSeen"u8, r.LastSeen);
        if (!r.IsDevice) w.WriteNumber("devices"u8, index.DeviceCount(r.Id));
        w.WritePropertyName("props"u8);
        w.WriteRawValue(r.Props, skipInputValidation: true);
        if (r.IsDevice)
        {
            w.WriteStartObject("notified"u8);
            foreach (var n in r.Notified)
            {
                w.WriteStartObject(n.Key);
                w.WriteString("value"u8, n.Value);
                if (n.Text is not null) w.WriteString("text"u8, n.Text);
                w.WriteString("at"u8, n.At);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true })) body(w);
        return buffer.WrittenSpan.ToArray();
    }
}
