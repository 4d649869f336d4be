using System.Buffers;
using System.Text;
using System.Text.Json;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Dashboard.Live;

/// <summary>Turns Sdk events and connection changes into <see cref="LiveEvent"/>s with their JSON written once.</summary>
internal static class LiveEventWriter
{
    public const string DeviceKind = "device";
    public const string StationKind = "station";
    public const string StatusKind = "status";

    public static LiveEvent From(DeviceEvent e)
    {
        var type = WireName<DeviceEventType>.Of(e.Type);
        return new(DeviceKind, type, e.Station, e.Device, e.Key, Write(w =>
        {
            w.WriteString("kind", DeviceKind);
            w.WriteString("type", type);
            w.WriteString("station", e.Station);
            w.WriteString("device", e.Device);
            if (e.Key is not null) w.WriteString("key", e.Key);
            if (e.Value is not null)
            {
                w.WriteString("value", ValueCodec.ToHex(e.Value));
                if (TryText(e.Value) is { } text) w.WriteString("text", text);
            }
            w.WriteString("at", e.Timestamp);
            if (e.Data is not null)
            {
                w.WritePropertyName("data");
                e.Data.WriteTo(w);
            }
        }));
    }

    public static LiveEvent From(StationEvent e)
    {
        var type = WireName<StationEventType>.Of(e.Type);
        return new(StationKind, type, e.Station, e.Device, null, Write(w =>
        {
            w.WriteString("kind", StationKind);
            w.WriteString("type", type);
            w.WriteString("station", e.Station);
            if (e.Device is not null) w.WriteString("device", e.Device);
            w.WriteString("at", e.Timestamp);
            if (e.Data is not null)
            {
                w.WritePropertyName("data");
                e.Data.WriteTo(w);
            }
        }));
    }

    /// <summary>The broker connection went down or came back.</summary>
    public static LiveEvent Status(bool brokerConnected, DateTimeOffset at) =>
        new(StatusKind, brokerConnected ? "BROKER_CONNECTED" : "BROKER_DISCONNECTED", null, null, null, Write(w =>
        {
            w.WriteString("kind", StatusKind);
            w.WriteString("type", brokerConnected ? "BROKER_CONNECTED" : "BROKER_DISCONNECTED");
            w.WriteBoolean("broker", brokerConnected);
            w.WriteString("at", at);
        }));

    /// <summary>The value as text when it is printable UTF-8 (as the gateway's replies do), else null.</summary>
    public static string? TryText(ReadOnlySpan<byte> value)
    {
        if (!System.Text.Unicode.Utf8.IsValid(value)) return null;
        var text = Encoding.UTF8.GetString(value);
        foreach (var c in text)
            if (char.IsControl(c)) return null;
        return text;
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
