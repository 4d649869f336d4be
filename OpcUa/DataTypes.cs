using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa;

/// <summary>
/// The built-in type that carries values of a DataType node. Namespace 0 ids 1..25 are the built-in types
/// themselves; the common subtypes of namespace 0 are mapped to their base (OPC 10000-3 §8, 10000-5 §12).
/// Other types (structures, enumerations of other namespaces) are not known here: the caller then looks at the
/// value's own type.
/// </summary>
public static class DataTypes
{
    private static readonly Dictionary<uint, BuiltInType> Subtypes = new()
    {
        [29] = BuiltInType.Int32, // Enumeration
        [30] = BuiltInType.ByteString, // Image
        [256] = BuiltInType.Int32, // IdType
        [257] = BuiltInType.Int32, // NodeClass
        [288] = BuiltInType.UInt32, // IntegerId
        [289] = BuiltInType.UInt32, // Counter
        [290] = BuiltInType.Double, // Duration
        [291] = BuiltInType.String, // NumericRange
        [294] = BuiltInType.DateTime, // UtcTime
        [295] = BuiltInType.String, // LocaleId
        [311] = BuiltInType.ByteString, // ApplicationInstanceCertificate
        [12878] = BuiltInType.String, // NormalizedString
        [12879] = BuiltInType.String, // DecimalString
        [12880] = BuiltInType.String, // DurationString
        [12881] = BuiltInType.String, // TimeString
        [12882] = BuiltInType.String, // DateString
        [11737] = BuiltInType.UInt64, // BitFieldMaskDataType
        [2000] = BuiltInType.ByteString, // ImageBMP
        [2001] = BuiltInType.ByteString, // ImageGIF
        [2002] = BuiltInType.ByteString, // ImageJPG
        [2003] = BuiltInType.ByteString, // ImagePNG
    };


    /// <summary>The built-in type of a DataType node, when it is one of namespace 0 known here.</summary>
    public static bool TryGetBuiltInType(NodeId dataType, out BuiltInType type)
    {
        type = BuiltInType.Null;
        if (dataType.NamespaceIndex != 0 || dataType.IdType != NodeIdType.Numeric) return false;
        uint id = (uint)dataType.Identifier;
        if (id is >= 1 and <= 25)
        {
            type = (BuiltInType)id;
            return true;
        }
        return Subtypes.TryGetValue(id, out type);
    }
}
