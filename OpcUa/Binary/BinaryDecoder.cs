using System.Buffers.Binary;
using System.Text;

namespace MqttIoT.OpcUa.Binary;

/// <summary>
/// Reads the OPC UA binary encoding (OPC 10000-6 §5.2). Truncated or malformed input, and lengths past the limits,
/// raise <see cref="OpcUaException"/> with BadDecodingError or BadEncodingLimitsExceeded, never an index error.
/// </summary>
public sealed class BinaryDecoder
{
    private const int MaxNesting = 64;
    private readonly ReadOnlyMemory<byte> _data;
    private int _nesting;

    /// <summary>Creates a decoder over <paramref name="data"/>.</summary>
    public BinaryDecoder(ReadOnlyMemory<byte> data, int maxArrayLength = 1_000_000)
    {
        _data = data;
        MaxArrayLength = maxArrayLength;
    }

    /// <summary>Largest array (and string, in bytes) accepted.</summary>
    public int MaxArrayLength { get; }

    /// <summary>Where the next read starts.</summary>
    public int Position { get; set; }

    /// <summary>Bytes left.</summary>
    public int Remaining => _data.Length - Position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw new OpcUaException(StatusCodes.BadDecodingError, $"the message ends after {Position} bytes, {count} more were expected");
        var span = _data.Span.Slice(Position, count);
        Position += count;
        return span;
    }

    /// <summary>Reads a Boolean (any non-zero byte is true).</summary>
    public bool ReadBoolean() => ReadByte() != 0;

    /// <summary>Reads an SByte.</summary>
    public sbyte ReadSByte() => unchecked((sbyte)ReadByte());

    /// <summary>Reads a Byte.</summary>
    public byte ReadByte() => Take(1)[0];

    /// <summary>Reads an Int16.</summary>
    public short ReadInt16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));

    /// <summary>Reads a UInt16.</summary>
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    /// <summary>Reads an Int32.</summary>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    /// <summary>Reads a UInt32.</summary>
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    /// <summary>Reads an Int64.</summary>
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>Reads a UInt64.</summary>
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Reads a Float.</summary>
    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    /// <summary>Reads a Double.</summary>
    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    /// <summary>Reads raw bytes.</summary>
    public ReadOnlySpan<byte> ReadRaw(int count) => Take(count);

    /// <summary>Reads a String (null for length -1).</summary>
    public string? ReadString()
    {
        int length = ReadLength();
        if (length < 0) return null;
        try { return new UTF8Encoding(false, true).GetString(Take(length)); }
        catch (DecoderFallbackException ex) { throw new OpcUaException(StatusCodes.BadDecodingError, "a String is not valid UTF-8", ex); }
    }

    /// <summary>Reads a ByteString (null for length -1).</summary>
    public byte[]? ReadByteString()
    {
        int length = ReadLength();
        return length < 0 ? null : Take(length).ToArray();
    }

    /// <summary>Reads a DateTime (UTC); 0 and Int64.MaxValue read as MinValue and MaxValue.</summary>
    public DateTime ReadDateTime() => FromUaTicks(ReadInt64());

    /// <summary>Reads a Guid.</summary>
    public Guid ReadGuid() => new(Take(16));

    /// <summary>Reads a NodeId in any of its six encodings.</summary>
    public NodeId ReadNodeId() => ReadNodeId(ReadByte());

    private NodeId ReadNodeId(byte encoding) => (encoding & 0x3F) switch
    {
        0x00 => new NodeId(ReadByte()),
        0x01 => ReadFourByte(),
        0x02 => ReadNumeric(),
        0x03 => new NodeId(ReadUInt16() is var ns ? ReadString() ?? "" : "", ns),
        0x04 => new NodeId(ReadUInt16() is var ns2 ? ReadGuid() : Guid.Empty, ns2),
        0x05 => new NodeId(ReadUInt16() is var ns3 ? ReadByteString() ?? [] : [], ns3),
        _ => throw new OpcUaException(StatusCodes.BadDecodingError, $"0x{encoding:X2} is not a NodeId encoding"),
    };

    private NodeId ReadFourByte()
    {
        byte ns = ReadByte();
        return new NodeId(ReadUInt16(), ns);
    }

    private NodeId ReadNumeric()
    {
        ushort ns = ReadUInt16();
        return new NodeId(ReadUInt32(), ns);
    }

    /// <summary>Reads an ExpandedNodeId.</summary>
    public ExpandedNodeId ReadExpandedNodeId()
    {
        byte encoding = ReadByte();
        var id = ReadNodeId(encoding);
        string? uri = (encoding & 0x80) != 0 ? ReadString() : null;
        uint server = (encoding & 0x40) != 0 ? ReadUInt32() : 0;
        return new ExpandedNodeId(id, uri, server);
    }

    /// <summary>Reads a StatusCode.</summary>
    public StatusCode ReadStatusCode() => new(ReadUInt32());

    /// <summary>Reads a QualifiedName.</summary>
    public QualifiedName ReadQualifiedName()
    {
        ushort ns = ReadUInt16();
        return new QualifiedName(ns, ReadString());
    }

    /// <summary>Reads a LocalizedText.</summary>
    public LocalizedText ReadLocalizedText()
    {
        byte mask = ReadByte();
        string? locale = (mask & 0x01) != 0 ? ReadString() : null;
        string? text = (mask & 0x02) != 0 ? ReadString() : null;
        return new LocalizedText(locale, text);
    }

    /// <summary>Reads an ExtensionObject, keeping its body opaque (XML bodies too, as their UTF-8 bytes).</summary>
    public ExtensionObject ReadExtensionObject()
    {
        var typeId = ReadNodeId();
        byte encoding = ReadByte();
        return encoding switch
        {
            0x00 => new ExtensionObject(typeId, null),
            0x01 or 0x02 => new ExtensionObject(typeId, ReadByteString()),
            _ => throw new OpcUaException(StatusCodes.BadDecodingError, $"0x{encoding:X2} is not an ExtensionObject encoding"),
        };
    }

    /// <summary>Reads a DataValue.</summary>
    public DataValue ReadDataValue()
    {
        Enter();
        byte mask = ReadByte();
        var value = (mask & 0x01) != 0 ? ReadVariant() : Variant.Null;
        var status = (mask & 0x02) != 0 ? ReadStatusCode() : StatusCode.Good;
        DateTime? source = (mask & 0x04) != 0 ? ReadDateTime() : null;
        ushort sourcePico = (mask & 0x10) != 0 ? ReadUInt16() : (ushort)0;
        DateTime? server = (mask & 0x08) != 0 ? ReadDateTime() : null;
        ushort serverPico = (mask & 0x20) != 0 ? ReadUInt16() : (ushort)0;
        _nesting--;
        return new DataValue
        {
            Value = value, StatusCode = status, SourceTimestamp = source, SourcePicoseconds = sourcePico,
            ServerTimestamp = server, ServerPicoseconds = serverPico,
        };
    }

    /// <summary>Reads a Variant; arrays become typed .NET arrays.</summary>
    public Variant ReadVariant()
    {
        Enter();
        try
        {
            byte mask = ReadByte();
            var type = (BuiltInType)(mask & 0x3F);
            if (type > BuiltInType.DiagnosticInfo)
                throw new OpcUaException(StatusCodes.BadDecodingError, $"{(int)type} is not a built-in type id");
            if ((mask & 0x80) == 0)
                return type == BuiltInType.Null ? Variant.Null : new Variant(type, ReadScalar(type));
            int length = ReadLength();
            Array? array = null;
            if (length >= 0)
            {
                array = Array.CreateInstance(ElementType(type), length);
                for (int i = 0; i < length; i++) array.SetValue(ReadScalar(type), i);
            }
            int[]? dims = (mask & 0x40) != 0 ? ReadArray(ReadInt32) : null;
            return new Variant(type, array, isArray: true, dims);
        }
        finally { _nesting--; }
    }

    /// <summary>Reads one value of a built-in type.</summary>
    public object? ReadScalar(BuiltInType type) => type switch
    {
        BuiltInType.Boolean => ReadBoolean(),
        BuiltInType.SByte => ReadSByte(),
        BuiltInType.Byte => ReadByte(),
        BuiltInType.Int16 => ReadInt16(),
        BuiltInType.UInt16 => ReadUInt16(),
        BuiltInType.Int32 => ReadInt32(),
        BuiltInType.UInt32 => ReadUInt32(),
        BuiltInType.Int64 => ReadInt64(),
        BuiltInType.UInt64 => ReadUInt64(),
        BuiltInType.Float => ReadFloat(),
        BuiltInType.Double => ReadDouble(),
        BuiltInType.String or BuiltInType.XmlElement => ReadString(),
        BuiltInType.DateTime => ReadDateTime(),
        BuiltInType.Guid => ReadGuid(),
        BuiltInType.ByteString => ReadByteString(),
        BuiltInType.NodeId => ReadNodeId(),
        BuiltInType.ExpandedNodeId => ReadExpandedNodeId(),
        BuiltInType.StatusCode => ReadStatusCode(),
        BuiltInType.QualifiedName => ReadQualifiedName(),
        BuiltInType.LocalizedText => ReadLocalizedText(),
        BuiltInType.ExtensionObject => ReadExtensionObject(),
        BuiltInType.DataValue => ReadDataValue(),
        BuiltInType.Variant => ReadVariant(),
        BuiltInType.DiagnosticInfo => SkipDiagnosticInfo(),
        _ => throw new OpcUaException(StatusCodes.BadDecodingError, $"cannot decode a value of type {type}"),
    };

    /// <summary>Reads past a DiagnosticInfo; this client does not return diagnostics, so their content is dropped.</summary>
    public object? SkipDiagnosticInfo()
    {
        Enter();
        byte mask = ReadByte();
        if ((mask & 0x01) != 0) ReadInt32();
        if ((mask & 0x02) != 0) ReadInt32();
        if ((mask & 0x08) != 0) ReadInt32();
        if ((mask & 0x04) != 0) ReadInt32();
        if ((mask & 0x10) != 0) ReadString();
        if ((mask & 0x20) != 0) ReadStatusCode();
        if ((mask & 0x40) != 0) SkipDiagnosticInfo();
        _nesting--;
        return null;
    }

    /// <summary>Reads an array (null for length -1).</summary>
    public T[]? ReadArray<T>(Func<T> read)
    {
        int length = ReadLength();
        if (length < 0) return null;
        var items = new T[length];
        for (int i = 0; i < length; i++) items[i] = read();
        return items;
    }

    /// <summary>Reads an array, an empty one for null.</summary>
    public T[] ReadList<T>(Func<T> read) => ReadArray(read) ?? [];

    /// <summary>Reads and discards an array of DiagnosticInfo.</summary>
    public void SkipDiagnosticInfos() => ReadArray(SkipDiagnosticInfo);

    private int ReadLength()
    {
        int length = ReadInt32();
        if (length < -1) throw new OpcUaException(StatusCodes.BadDecodingError, $"{length} is not a length");
        if (length > MaxArrayLength) throw new OpcUaException(StatusCodes.BadEncodingLimitsExceeded, $"a length of {length} is over the limit of {MaxArrayLength}");
        // Every element takes at least one byte: a longer length than what is left is a lie, not a big array.
        if (length > Remaining) throw new OpcUaException(StatusCodes.BadDecodingError, $"a length of {length} runs past the end of the message");
        return length;
    }

    private void Enter()
    {
        if (++_nesting > MaxNesting) throw new OpcUaException(StatusCodes.BadEncodingLimitsExceeded, "values nest too deeply");
    }

    private static Type ElementType(BuiltInType type) => type switch
    {
        BuiltInType.Boolean => typeof(bool),
        BuiltInType.SByte => typeof(sbyte),
        BuiltInType.Byte => typeof(byte),
        BuiltInType.Int16 => typeof(short),
        BuiltInType.UInt16 => typeof(ushort),
        BuiltInType.Int32 => typeof(int),
        BuiltInType.UInt32 => typeof(uint),
        BuiltInType.Int64 => typeof(long),
        BuiltInType.UInt64 => typeof(ulong),
        BuiltInType.Float => typeof(float),
        BuiltInType.Double => typeof(double),
        BuiltInType.String or BuiltInType.XmlElement => typeof(string),
        BuiltInType.DateTime => typeof(DateTime),
        BuiltInType.Guid => typeof(Guid),
        BuiltInType.ByteString => typeof(byte[]),
        BuiltInType.NodeId => typeof(NodeId),
        BuiltInType.ExpandedNodeId => typeof(ExpandedNodeId),
        BuiltInType.StatusCode => typeof(StatusCode),
        BuiltInType.QualifiedName => typeof(QualifiedName),
        BuiltInType.LocalizedText => typeof(LocalizedText),
        BuiltInType.ExtensionObject => typeof(ExtensionObject),
        BuiltInType.DataValue => typeof(DataValue),
        _ => typeof(object),
    };

    /// <summary>A UTC DateTime from 100 ns ticks since 1601-01-01.</summary>
    public static DateTime FromUaTicks(long ticks)
    {
        if (ticks <= 0) return DateTime.MinValue;
        if (ticks >= DateTime.MaxValue.Ticks - BinaryEncoder.UaEpochTicks) return DateTime.MaxValue;
        return new DateTime(ticks + BinaryEncoder.UaEpochTicks, DateTimeKind.Utc);
    }
}
