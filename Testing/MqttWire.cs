using System.Buffers.Binary;
using System.Text;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>MQTT v5 control packet types (OASIS mqtt-v5.0 2.1.2).</summary>
public enum WireType : byte
{
    Connect = 1, ConnAck = 2, Publish = 3, PubAck = 4, PubRec = 5, PubRel = 6, PubComp = 7,
    Subscribe = 8, SubAck = 9, Unsubscribe = 10, UnsubAck = 11, PingReq = 12, PingResp = 13, Disconnect = 14, Auth = 15,
}

/// <summary>MQTT v5 property identifiers (2.2.2.2), only those the conformance tests send or read.</summary>
public static class WireProp
{
    public const byte PayloadFormat = 0x01, MessageExpiry = 0x02, ContentType = 0x03, ResponseTopic = 0x08, CorrelationData = 0x09,
        SubscriptionId = 0x0B, SessionExpiry = 0x11, AssignedClientId = 0x12, ServerKeepAlive = 0x13, AuthMethod = 0x15,
        AuthData = 0x16, RequestProblemInfo = 0x17, WillDelay = 0x18, RequestResponseInfo = 0x19, ResponseInfo = 0x1A,
        ServerReference = 0x1C, ReasonString = 0x1F, ReceiveMaximum = 0x21, TopicAliasMaximum = 0x22, TopicAlias = 0x23,
        MaximumQoS = 0x24, RetainAvailable = 0x25, UserProperty = 0x26, MaximumPacketSize = 0x27, WildcardAvailable = 0x28,
        SubscriptionIdsAvailable = 0x29, SharedAvailable = 0x2A;

    private enum Kind { Byte, UInt16, UInt32, VarInt, Utf8, Binary, Pair }

    private static Kind KindOf(byte id) => id switch
    {
        PayloadFormat or RequestProblemInfo or RequestResponseInfo or MaximumQoS or RetainAvailable or WildcardAvailable
            or SubscriptionIdsAvailable or SharedAvailable => Kind.Byte,
        ServerKeepAlive or ReceiveMaximum or TopicAliasMaximum or TopicAlias => Kind.UInt16,
        MessageExpiry or SessionExpiry or WillDelay or MaximumPacketSize => Kind.UInt32,
        SubscriptionId => Kind.VarInt,
        ContentType or ResponseTopic or AssignedClientId or AuthMethod or ResponseInfo or ServerReference or ReasonString => Kind.Utf8,
        CorrelationData or AuthData => Kind.Binary,
        UserProperty => Kind.Pair,
        _ => throw new InvalidDataException($"unknown MQTT v5 property 0x{id:X2}"),
    };

    internal static void Write(WireWriter w, IReadOnlyList<(byte Id, object Value)> props)
    {
        var body = new WireWriter();
        foreach (var (id, value) in props)
        {
            body.Byte(id);
            switch (KindOf(id))
            {
                case Kind.Byte: body.Byte(Convert.ToByte(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                case Kind.UInt16: body.UInt16(Convert.ToUInt16(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                case Kind.UInt32: body.UInt32(Convert.ToUInt32(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                case Kind.VarInt: body.VarInt(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                case Kind.Utf8: body.Utf8((string)value); break;
                case Kind.Binary: body.Binary((byte[])value); break;
                case Kind.Pair: var (k, v) = ((string, string))value; body.Utf8(k); body.Utf8(v); break;
            }
        }
        w.VarInt(body.Length);
        w.Bytes(body.ToArray());
    }

    internal static List<(byte Id, object Value)> Read(WireReader r)
    {
        var length = r.VarInt();
        var end = r.Position + length;
        var props = new List<(byte, object)>();
        while (r.Position < end)
        {
            var id = r.Byte();
            object value = KindOf(id) switch
            {
                Kind.Byte => r.Byte(),
                Kind.UInt16 => r.UInt16(),
                Kind.UInt32 => r.UInt32(),
                Kind.VarInt => r.VarInt(),
                Kind.Utf8 => r.Utf8(),
                Kind.Binary => r.Binary(),
                _ => (r.Utf8(), r.Utf8()),
            };
            props.Add((id, value));
        }
        return props;
    }
}

/// <summary>One decoded packet as it came off the wire; fields a packet type does not have stay at their defaults.</summary>
public sealed class WirePacket
{
    public WireType Type { get; init; }
    public byte Flags { get; init; }
    public ushort PacketId { get; init; }
    public byte ReasonCode { get; init; }
    public bool SessionPresent { get; init; }
    public string Topic { get; init; } = "";
    public byte[] Payload { get; init; } = [];
    public int Qos => (Flags >> 1) & 3;
    public bool Retain => (Flags & 1) != 0;
    public bool Dup => (Flags & 8) != 0;
    public IReadOnlyList<byte> ReasonCodes { get; init; } = [];
    public IReadOnlyList<(byte Id, object Value)> Properties { get; init; } = [];

    public object? Property(byte id) => Properties.FirstOrDefault(p => p.Id == id).Value;
    public uint? UInt32Property(byte id) => Property(id) is uint v ? v : null;
    public ushort? UInt16Property(byte id) => Property(id) is ushort v ? v : null;
    public byte? ByteProperty(byte id) => Property(id) is byte v ? v : null;
    public string? StringProperty(byte id) => Property(id) as string;
    public IReadOnlyList<int> SubscriptionIds => Properties.Where(p => p.Id == WireProp.SubscriptionId).Select(p => (int)p.Value).ToList();
    public string PayloadText => Encoding.UTF8.GetString(Payload);

    public override string ToString() => Type switch
    {
        WireType.Publish => $"PUBLISH '{Topic}' q{Qos}{(Retain ? " r" : "")} id={PacketId} '{PayloadText}' props=[{string.Join(",", Properties.Select(p => $"{p.Id:X2}={p.Value}"))}]",
        _ => $"{Type} id={PacketId} rc=0x{ReasonCode:X2}",
    };

    internal static WirePacket Decode(byte header, byte[] body)
    {
        var type = (WireType)(header >> 4);
        var flags = (byte)(header & 0x0F);
        var r = new WireReader(body);
        switch (type)
        {
            case WireType.ConnAck:
                return new WirePacket { Type = type, Flags = flags, SessionPresent = (r.Byte() & 1) != 0, ReasonCode = r.Byte(), Properties = r.AtEnd ? [] : WireProp.Read(r) };
            case WireType.Publish:
            {
                var topic = r.Utf8();
                ushort id = ((flags >> 1) & 3) > 0 ? r.UInt16() : (ushort)0;
                var props = WireProp.Read(r);
                return new WirePacket { Type = type, Flags = flags, Topic = topic, PacketId = id, Properties = props, Payload = r.Rest() };
            }
            case WireType.PubAck or WireType.PubRec or WireType.PubRel or WireType.PubComp:
            {
                var id = r.UInt16();
                var rc = r.AtEnd ? (byte)0 : r.Byte();
                return new WirePacket { Type = type, Flags = flags, PacketId = id, ReasonCode = rc, Properties = r.AtEnd ? [] : WireProp.Read(r) };
            }
            case WireType.SubAck or WireType.UnsubAck:
            {
                var id = r.UInt16();
                var props = WireProp.Read(r);
                return new WirePacket { Type = type, Flags = flags, PacketId = id, Properties = props, ReasonCodes = r.Rest() };
            }
            case WireType.Disconnect:
            {
                var rc = r.AtEnd ? (byte)0 : r.Byte();
                return new WirePacket { Type = type, Flags = flags, ReasonCode = rc, Properties = r.AtEnd ? [] : WireProp.Read(r) };
            }
            default:
                return new WirePacket { Type = type, Flags = flags };
        }
    }
}

/// <summary>A will message for <see cref="WireConnect"/>.</summary>
public sealed record WireWill(string Topic, string Payload, int Qos = 1, bool Retain = false, uint? DelayInterval = null, uint? MessageExpiry = null);

/// <summary>The fields of a CONNECT packet (3.1) the tests vary; null properties are left out of the packet.</summary>
public sealed record WireConnect
{
    public string ClientId { get; init; } = "";
    public bool CleanStart { get; init; } = true;
    public ushort KeepAlive { get; init; }
    public uint? SessionExpiry { get; init; }
    public ushort? ReceiveMaximum { get; init; }
    public uint? MaximumPacketSize { get; init; }
    public ushort? TopicAliasMaximum { get; init; }
    public WireWill? Will { get; init; }

    internal byte[] Encode()
    {
        var w = new WireWriter();
        w.Utf8("MQTT");
        w.Byte(5);
        byte flags = CleanStart ? (byte)0x02 : (byte)0;
        if (Will is not null) flags |= (byte)(0x04 | (Will.Qos << 3) | (Will.Retain ? 0x20 : 0));
        w.Byte(flags);
        w.UInt16(KeepAlive);
        var props = new List<(byte, object)>();
        if (SessionExpiry is { } se) props.Add((WireProp.SessionExpiry, se));
        if (ReceiveMaximum is { } rm) props.Add((WireProp.ReceiveMaximum, rm));
        if (MaximumPacketSize is { } mps) props.Add((WireProp.MaximumPacketSize, mps));
        if (TopicAliasMaximum is { } tam) props.Add((WireProp.TopicAliasMaximum, tam));
        WireProp.Write(w, props);
        w.Utf8(ClientId);
        if (Will is not null)
        {
            var willProps = new List<(byte, object)>();
            if (Will.DelayInterval is { } d) willProps.Add((WireProp.WillDelay, d));
            if (Will.MessageExpiry is { } e) willProps.Add((WireProp.MessageExpiry, e));
            WireProp.Write(w, willProps);
            w.Utf8(Will.Topic);
            w.Binary(Encoding.UTF8.GetBytes(Will.Payload));
        }
        return WireWriter.Frame(0x10, w);
    }
}

/// <summary>Subscription options of one topic filter in a SUBSCRIBE packet (3.8.3.1).</summary>
public sealed record WireSubscription(string Filter, int Qos = 1, bool NoLocal = false, bool RetainAsPublished = false, int RetainHandling = 0)
{
    internal byte Options => (byte)(Qos | (NoLocal ? 4 : 0) | (RetainAsPublished ? 8 : 0) | (RetainHandling << 4));
}

/// <summary>Builds the packets a client sends.</summary>
public static class WirePackets
{
    public static byte[] Publish(string topic, byte[] payload, int qos = 0, ushort packetId = 0, bool retain = false, bool dup = false,
        IReadOnlyList<(byte Id, object Value)>? properties = null)
    {
        var w = new WireWriter();
        w.Utf8(topic);
        if (qos > 0) w.UInt16(packetId);
        WireProp.Write(w, properties ?? []);
        w.Bytes(payload);
        return WireWriter.Frame((byte)(0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0)), w);
    }

    public static byte[] Ack(WireType type, ushort packetId, byte reasonCode = 0)
    {
        var w = new WireWriter();
        w.UInt16(packetId);
        if (reasonCode != 0) w.Byte(reasonCode);
        return WireWriter.Frame((byte)(((int)type << 4) | (type == WireType.PubRel ? 2 : 0)), w);
    }

    public static byte[] Subscribe(ushort packetId, IReadOnlyList<WireSubscription> subscriptions, int? subscriptionId = null)
    {
        var w = new WireWriter();
        w.UInt16(packetId);
        WireProp.Write(w, subscriptionId is { } sid ? [(WireProp.SubscriptionId, sid)] : []);
        foreach (var s in subscriptions)
        {
            w.Utf8(s.Filter);
            w.Byte(s.Options);
        }
        return WireWriter.Frame(0x82, w);
    }

    public static byte[] Unsubscribe(ushort packetId, params string[] filters)
    {
        var w = new WireWriter();
        w.UInt16(packetId);
        WireProp.Write(w, []);
        foreach (var f in filters) w.Utf8(f);
        return WireWriter.Frame(0xA2, w);
    }

    public static byte[] PingReq() => [0xC0, 0x00];

    public static byte[] Disconnect(byte reasonCode = 0, uint? sessionExpiry = null)
    {
        var w = new WireWriter();
        w.Byte(reasonCode);
        WireProp.Write(w, sessionExpiry is { } se ? [(WireProp.SessionExpiry, se)] : []);
        return WireWriter.Frame(0xE0, w);
    }
}

internal sealed class WireWriter
{
    private readonly MemoryStream _buffer = new();

    public int Length => (int)_buffer.Length;
    public byte[] ToArray() => _buffer.ToArray();

    public void Byte(byte b) => _buffer.WriteByte(b);
    public void Bytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void UInt16(ushort v)
    {
        Span<byte> s = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(s, v);
        Bytes(s);
    }

    public void UInt32(uint v)
    {
        Span<byte> s = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(s, v);
        Bytes(s);
    }

    public void VarInt(int v)
    {
        do
        {
            var b = (byte)(v % 128);
            v /= 128;
            Byte(v > 0 ? (byte)(b | 0x80) : b);
        } while (v > 0);
    }

    public void Utf8(string s) => Binary(Encoding.UTF8.GetBytes(s));

    public void Binary(byte[] b)
    {
        UInt16((ushort)b.Length);
        Bytes(b);
    }

    public static byte[] Frame(byte header, WireWriter body)
    {
        var w = new WireWriter();
        w.Byte(header);
        w.VarInt(body.Length);
        w.Bytes(body.ToArray());
        return w.ToArray();
    }
}

internal sealed class WireReader(byte[] data)
{
    public int Position { get; private set; }
    public bool AtEnd => Position >= data.Length;

    public byte Byte() => data[Position++];

    public ushort UInt16()
    {
        var v = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(Position, 2));
        Position += 2;
        return v;
    }

    public uint UInt32()
    {
        var v = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(Position, 4));
        Position += 4;
        return v;
    }

    public int VarInt()
    {
        int value = 0, multiplier = 1;
        byte b;
        do
        {
            b = Byte();
            value += (b & 0x7F) * multiplier;
            multiplier *= 128;
        } while ((b & 0x80) != 0);
        return value;
    }

    public string Utf8() => Encoding.UTF8.GetString(Binary());

    public byte[] Binary()
    {
        var length = UInt16();
        var b = data.AsSpan(Position, length).ToArray();
        Position += length;
        return b;
    }

    public byte[] Rest()
    {
        var b = data.AsSpan(Position).ToArray();
        Position = data.Length;
        return b;
    }
}
