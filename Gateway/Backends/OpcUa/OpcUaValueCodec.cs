using System.Buffers.Binary;
using System.Text;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>
/// How OPC UA values become the contract's bytes and back (topics.md, "OPC UA values"). Scalars of the simple
/// built-in types are their OPC UA binary encoding without any prefix (little-endian numbers, UTF-8 text, raw
/// bytes, DateTime as Int64 100 ns ticks since 1601); everything else (arrays, structures, names, texts) is the
/// whole Variant in OPC UA binary, and its type reads <c>Variant</c>. Decoding is strict: bytes that are not a
/// value of the variable's type fail with BadTypeMismatch.
/// </summary>
internal static class OpcUaValueCodec
{
    public const string VariantType = "Variant";

    /// <summary>The wire type name of values of a variable with this built-in type and value rank.</summary>
    public static string WireType(BuiltInType type, bool scalar = true) =>
        scalar && IsSimple(type) ? type.ToString() : VariantType;

    /// <summary>
    /// The bytes of a value of a variable with this built-in type and value rank, and the wire type they are in: the
    /// variable's own (what its props say) when the value is of it; the whole Variant otherwise. So a variable whose
    /// wire type is Variant (abstract or unknown DataType, arrays) always reads as a whole Variant, which is what a
    /// write of it takes (a null value is the one byte <c>00</c>); a value of another type than the variable declares
    /// (a null in an Int32 variable, a server breaking its own DataType) also travels whole, its type inside.
    /// </summary>
    public static byte[] Encode(Variant value, BuiltInType type, bool scalar, out string dataType)
    {
        dataType = WireType(type, scalar);
        if (dataType != VariantType && (value.IsArray || value.Type != type)) dataType = VariantType;
        if (dataType == VariantType)
        {
            var e = new BinaryEncoder();
            e.WriteVariant(value);
            return e.ToArray();
        }
        return value.Value switch
        {
            string s => Encoding.UTF8.GetBytes(s),
            byte[] b => b,
            _ => Scalar(value),
        };
    }

    private static byte[] Scalar(Variant value)
    {
        var e = new BinaryEncoder();
        e.WriteScalar(value.Type, value.Value!);
        return e.ToArray();
    }

    public static Variant Decode(ReadOnlySpan<byte> bytes, BuiltInType type, bool scalar)
    {
        if (!scalar || !IsSimple(type))
        {
            Variant v;
            try
            {
                var d = new BinaryDecoder(bytes.ToArray());
                v = d.ReadVariant();
                if (d.Remaining != 0) throw Mismatch($"{d.Remaining} bytes follow the Variant");
            }
            catch (OpcUaException ex) when (ex.Status.Code != StatusCodes.BadTypeMismatch)
            {
                throw Mismatch($"the bytes are not an OPC UA binary Variant ({ex.Status.Name})");
            }
            if (v.Type != type && type != BuiltInType.Variant && type != BuiltInType.Null)
                throw Mismatch($"the Variant holds {v.Type}, the variable takes {type}");
            return v;
        }
        switch (type)
        {
            case BuiltInType.String:
            case BuiltInType.XmlElement:
                if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw Mismatch("the bytes are not UTF-8 text");
                return new Variant(type, Encoding.UTF8.GetString(bytes));
            case BuiltInType.ByteString:
                return new Variant(type, bytes.ToArray());
            case BuiltInType.Boolean:
                if (bytes.Length != 1 || bytes[0] > 1) throw Mismatch("a Boolean is one byte, 00 or 01");
                return new Variant(type, bytes[0] == 1);
        }
        int size = SizeOf(type);
        if (bytes.Length != size) throw Mismatch($"a {type} is {size} bytes, not {bytes.Length}");
        return new Variant(type, new BinaryDecoder(bytes.ToArray()).ReadScalar(type));
    }

    private static bool IsSimple(BuiltInType type) => type is >= BuiltInType.Boolean and <= BuiltInType.ByteString
        or BuiltInType.XmlElement or BuiltInType.StatusCode;

    private static int SizeOf(BuiltInType type) => type switch
    {
        BuiltInType.SByte or BuiltInType.Byte => 1,
        BuiltInType.Int16 or BuiltInType.UInt16 => 2,
        BuiltInType.Int32 or BuiltInType.UInt32 or BuiltInType.Float or BuiltInType.StatusCode => 4,
        BuiltInType.Int64 or BuiltInType.UInt64 or BuiltInType.Double or BuiltInType.DateTime => 8,
        BuiltInType.Guid => 16,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static OpcUaException Mismatch(string why) => new(StatusCodes.BadTypeMismatch, why);
}
