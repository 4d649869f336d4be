using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace MqttIoT.OpcUa.Binary;

/// <summary>
/// Writes the OPC UA binary encoding (OPC 10000-6 §5.2): little-endian integers, IEEE floats, Int32-length-prefixed
/// strings and arrays (-1 for null), DateTime as 100 ns ticks since 1601-01-01 UTC.
/// </summary>
public sealed class BinaryEncoder
{
    private readonly ArrayBufferWriter<byte> _buffer;

    /// <summary>Creates an encoder with a growable buffer.</summary>
    public BinaryEncoder(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    /// <summary>Bytes written so far.</summary>
    public int Length => _buffer.WrittenCount;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    /// <summary>A copy of the bytes written.</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>Writes a Boolean as one byte.</summary>
    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    /// <summary>Writes an SByte.</summary>
    public void WriteSByte(sbyte value) => WriteByte(unchecked((byte)value));

    /// <summary>Writes a Byte.</summary>
    public void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    /// <summary>Writes an Int16.</summary>
    public void WriteInt16(short value) { BinaryPrimitives.WriteInt16LittleEndian(_buffer.GetSpan(2), value); _buffer.Advance(2); }

    /// <summary>Writes a UInt16.</summary>
    public void WriteUInt16(ushort value) { BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value); _buffer.Advance(2); }

    /// <summary>Writes an Int32.</summary>
    public void WriteInt32(int value) { BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value); _buffer.Advance(4); }

    /// <summary>Writes a UInt32.</summary>
    public void WriteUInt32(uint value) { BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value); _buffer.Advance(4); }

    /// <summary>Writes an Int64.</summary>
    public void WriteInt64(long value) { BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value); _buffer.Advance(8); }

    /// <summary>Writes a UInt64.</summary>
    public void WriteUInt64(ulong value) { BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value); _buffer.Advance(8); }

    /// <summary>Writes a Float (IEEE 754 single).</summary>
    public void WriteFloat(float value) { BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), value); _buffer.Advance(4); }

    /// <summary>Writes a Double (IEEE 754 double).</summary>
    public void WriteDouble(double value) { BinaryPrimitives.WriteDoubleLittleEndian(_buffer.GetSpan(8), value); _buffer.Advance(8); }

    /// <summary>Writes raw bytes with no length prefix.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    /// <summary>Writes a String: Int32 byte length (-1 for null), then UTF-8.</summary>
    public void WriteString(string? value)
    {
        if (value is null) { WriteInt32(-1); return; }
        int count = Encoding.UTF8.GetByteCount(value);
        WriteInt32(count);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(count));
        _buffer.Advance(count);
    }

    /// <summary>Writes a ByteString: Int32 length (-1 for null), then the bytes.</summary>
    public void WriteByteString(ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull) { WriteInt32(-1); return; }
        WriteInt32(value.Length);
        WriteRaw(value);
    }

    /// <summary>Writes a ByteString, null when <paramref name="value"/> is null.</summary>
    public void WriteByteString(byte[]? value) => WriteByteString(value, value is null);

    /// <summary>Writes a DateTime as 100 ns ticks since 1601-01-01 UTC; MinValue (and earlier than 1601) as 0, MaxValue as Int64.MaxValue.</summary>
    public void WriteDateTime(DateTime value) => WriteInt64(ToUaTicks(value));

    /// <summary>Writes a Guid: Data1 UInt32, Data2 and Data3 UInt16, Data4 eight bytes; which is .NET's little-endian byte order.</summary>
    public void WriteGuid(Guid value)
    {
        value.TryWriteBytes(_buffer.GetSpan(16));
        _buffer.Advance(16);
    }

    /// <summary>Writes a NodeId in the most compact of its encodings (two-byte, four-byte, numeric, string, guid, opaque).</summary>
    public void WriteNodeId(NodeId? value) => WriteNodeId(value ?? NodeId.Null, 0);

    private void WriteNodeId(NodeId value, byte flags)
    {
        switch (value.IdType)
        {
            case NodeIdType.Numeric:
                uint id = (uint)value.Identifier;
                if (value.NamespaceIndex == 0 && id <= byte.MaxValue)
                {
                    WriteByte((byte)(0x00 | flags));
                    WriteByte((byte)id);
                }
                else if (value.NamespaceIndex <= byte.MaxValue && id <= ushort.MaxValue)
                {
                    WriteByte((byte)(0x01 | flags));
                    WriteByte((byte)value.NamespaceIndex);
                    WriteUInt16((ushort)id);
                }
                else
                {
                    WriteByte((byte)(0x02 | flags));
                    WriteUInt16(value.NamespaceIndex);
                    WriteUInt32(id);
                }
                break;
            case NodeIdType.String:
                WriteByte((byte)(0x03 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteString((string)value.Identifier);
                break;
            case NodeIdType.Guid:
                WriteByte((byte)(0x04 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteGuid((Guid)value.Identifier);
                break;
            default:
                WriteByte((byte)(0x05 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteByteString((byte[])value.Identifier);
                break;
        }
    }

    /// <summary>Writes an ExpandedNodeId: the NodeId with flag 0x80 (namespace URI follows) and 0x40 (server index follows).</summary>
    public void WriteExpandedNodeId(ExpandedNodeId value)
    {
        byte flags = (byte)((value.NamespaceUri is not null ? 0x80 : 0) | (value.ServerIndex != 0 ? 0x40 : 0));
        WriteNodeId(value.NodeId, flags);
        if (value.NamespaceUri is not null) WriteString(value.NamespaceUri);
        if (value.ServerIndex != 0) WriteUInt32(value.ServerIndex);
    }

    /// <summary>Writes a StatusCode as UInt32.</summary>
    public void WriteStatusCode(StatusCode value) => WriteUInt32(value.Code);

    /// <summary>Writes a QualifiedName: UInt16 namespace index, then the name.</summary>
    public void WriteQualifiedName(QualifiedName value)
    {
        WriteUInt16(value.NamespaceIndex);
        WriteString(value.Name);
    }

    /// <summary>Writes a LocalizedText: mask (0x01 locale, 0x02 text), then what the mask says.</summary>
    public void WriteLocalizedText(LocalizedText value)
    {
        WriteByte((byte)((value.Locale is not null ? 0x01 : 0) | (value.Text is not null ? 0x02 : 0)));
        if (value.Locale is not null) WriteString(value.Locale);
        if (value.Text is not null) WriteString(value.Text);
    }

    /// <summary>Writes an ExtensionObject with a binary body (encoding byte 0x01), or an empty one (0x00).</summary>
    public void WriteExtensionObject(ExtensionObject? value)
    {
        if (value is null || value.Body is null)
        {
            WriteNodeId(value?.TypeId ?? NodeId.Null);
            WriteByte(0x00);
            return;
        }
        WriteNodeId(value.TypeId);
        WriteByte(0x01);
        WriteByteString(value.Body);
    }

    /// <summary>Writes an ExtensionObject whose body an encodeable writes, with its binary encoding id.</summary>
    public void WriteExtensionObject(NodeId encodingId, Action<BinaryEncoder> writeBody)
    {
        var body = new BinaryEncoder();
        writeBody(body);
        WriteNodeId(encodingId);
        WriteByte(0x01);
        WriteByteString(body.Written.Span);
    }

    /// <summary>Writes a DataValue: mask (0x01 value, 0x02 status, 0x04 source time, 0x08 server time, 0x10/0x20 picoseconds), then the fields present.</summary>
    public void WriteDataValue(DataValue value)
    {
        byte mask = 0;
        if (!value.Value.IsNull) mask |= 0x01;
        if (value.StatusCode.Code != 0) mask |= 0x02;
        if (value.SourceTimestamp is not null) mask |= 0x04;
        if (value.ServerTimestamp is not null) mask |= 0x08;
        if (value.SourcePicoseconds != 0) mask |= 0x10;
        if (value.ServerPicoseconds != 0) mask |= 0x20;
        WriteByte(mask);
        if ((mask & 0x01) != 0) WriteVariant(value.Value);
        if ((mask & 0x02) != 0) WriteStatusCode(value.StatusCode);
        if ((mask & 0x04) != 0) WriteDateTime(value.SourceTimestamp!.Value);
        if ((mask & 0x10) != 0) WriteUInt16(value.SourcePicoseconds);
        if ((mask & 0x08) != 0) WriteDateTime(value.ServerTimestamp!.Value);
        if ((mask & 0x20) != 0) WriteUInt16(value.ServerPicoseconds);
    }

    /// <summary>Writes a Variant: mask (type id, 0x80 array, 0x40 dimensions), then the value or the array.</summary>
    public void WriteVariant(Variant value)
    {
        if (value.IsNull) { WriteByte(0); return; }
        byte mask = (byte)value.Type;
        if (value.IsArray) mask |= 0x80;
        if (value.IsArray && value.ArrayDimensions is not null) mask |= 0x40;
        WriteByte(mask);
        if (!value.IsArray)
        {
            WriteScalar(value.Type, value.Value!);
            return;
        }
        if (value.Value is not Array array) { WriteInt32(-1); }
        else
        {
            WriteInt32(array.Length);
            foreach (var element in array) WriteScalar(value.Type, element!);
        }
        if (value.ArrayDimensions is { } dims) WriteArray(dims, WriteInt32);
    }

    /// <summary>Writes one value of a built-in type.</summary>
    public void WriteScalar(BuiltInType type, object value)
    {
        switch (type)
        {
            case BuiltInType.Boolean: WriteBoolean((bool)value); break;
            case BuiltInType.SByte: WriteSByte((sbyte)value); break;
            case BuiltInType.Byte: WriteByte((byte)value); break;
            case BuiltInType.Int16: WriteInt16((short)value); break;
            case BuiltInType.UInt16: WriteUInt16((ushort)value); break;
            case BuiltInType.Int32: WriteInt32((int)value); break;
            case BuiltInType.UInt32: WriteUInt32((uint)value); break;
            case BuiltInType.Int64: WriteInt64((long)value); break;
            case BuiltInType.UInt64: WriteUInt64((ulong)value); break;
            case BuiltInType.Float: WriteFloat((float)value); break;
            case BuiltInType.Double: WriteDouble((double)value); break;
            case BuiltInType.String:
            case BuiltInType.XmlElement: WriteString((string?)value); break;
            case BuiltInType.DateTime: WriteDateTime((DateTime)value); break;
            case BuiltInType.Guid: WriteGuid((Guid)value); break;
            case BuiltInType.ByteString: WriteByteString((byte[]?)value); break;
            case BuiltInType.NodeId: WriteNodeId((NodeId)value); break;
            case BuiltInType.ExpandedNodeId: WriteExpandedNodeId((ExpandedNodeId)value); break;
            case BuiltInType.StatusCode: WriteStatusCode((StatusCode)value); break;
            case BuiltInType.QualifiedName: WriteQualifiedName((QualifiedName)value); break;
            case BuiltInType.LocalizedText: WriteLocalizedText((LocalizedText)value); break;
            case BuiltInType.ExtensionObject: WriteExtensionObject((ExtensionObject?)value); break;
            case BuiltInType.DataValue: WriteDataValue((DataValue)value); break;
            case BuiltInType.Variant: WriteVariant(value is Variant v ? v : Variant.From(value)); break;
            default: throw new OpcUaException(StatusCodes.BadEncodingError, $"cannot encode a value of type {type}");
        }
    }

    /// <summary>Writes an array: Int32 length (-1 for null), then each element.</summary>
    public void WriteArray<T>(IReadOnlyCollection<T>? values, Action<T> write)
    {
        if (values is null) { WriteInt32(-1); return; }
        WriteInt32(values.Count);
        foreach (var v in values) write(v);
    }

    /// <summary>100 ns ticks since 1601-01-01 UTC, clamped as OPC 10000-6 §5.2.2.5 says.</summary>
    public static long ToUaTicks(DateTime value)
    {
        if (value == DateTime.MaxValue) return long.MaxValue;
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        long ticks = utc.Ticks - UaEpochTicks;
        return ticks <= 0 ? 0 : ticks;
    }

    internal const long UaEpochTicks = 504911232000000000; // new DateTime(1601, 1, 1).Ticks
}
