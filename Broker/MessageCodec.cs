using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>
/// The binary form of an application message in the broker's files (<see cref="RetainedStore"/>,
/// <see cref="SessionStore"/>): topic, payload, QoS, payload format, content type, response topic, correlation data
/// and user properties. What only one file needs (retain flag, expiry) that file writes next to it.
/// </summary>
internal static class MessageCodec
{
    public static void Write(BinaryWriter w, MqttApplicationMessage m)
    {
        w.Write(m.Topic);
        var payload = m.Payload.IsEmpty ? [] : System.Buffers.BuffersExtensions.ToArray(m.Payload);
        w.Write(payload.Length);
        w.Write(payload);
        w.Write((byte)m.QualityOfServiceLevel);
        w.Write((byte)m.PayloadFormatIndicator);
        WriteNullable(w, m.ContentType);
        WriteNullable(w, m.ResponseTopic);
        w.Write(m.CorrelationData?.Length ?? -1);
        if (m.CorrelationData is not null) w.Write(m.CorrelationData);
        w.Write(m.UserProperties?.Count ?? 0);
        foreach (var p in m.UserProperties ?? [])
        {
            w.Write(p.Name);
            w.Write(p.ValueBuffer.Length);
            w.Write(p.ValueBuffer.Span);
        }
    }

    public static MqttApplicationMessageBuilder Read(BinaryReader r)
    {
        var builder = new MqttApplicationMessageBuilder().WithTopic(r.ReadString());
        builder.WithPayload(r.ReadBytes(r.ReadInt32()));
        builder.WithQualityOfServiceLevel((MqttQualityOfServiceLevel)r.ReadByte());
        builder.WithPayloadFormatIndicator((MqttPayloadFormatIndicator)r.ReadByte());
        if (ReadNullable(r) is { } contentType) builder.WithContentType(contentType);
        if (ReadNullable(r) is { } responseTopic) builder.WithResponseTopic(responseTopic);
        int corrLength = r.ReadInt32();
        if (corrLength >= 0) builder.WithCorrelationData(r.ReadBytes(corrLength));
        int props = r.ReadInt32();
        for (int i = 0; i < props; i++) builder.WithUserProperty(r.ReadString(), new ReadOnlyMemory<byte>(r.ReadBytes(r.ReadInt32())));
        return builder;
    }

    public static void WriteNullable(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null) w.Write(s);
    }

    public static string? ReadNullable(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    /// <summary>A reader of UTF-8 strings over a span of a file already in memory.</summary>
    public static BinaryReader Reader(byte[] buffer, int offset, int count) =>
        new(new MemoryStream(buffer, offset, count, writable: false), Encoding.UTF8);
}
