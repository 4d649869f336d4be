using System.Globalization;

namespace MqttIoT.OpcUa.Binary;

/// <summary>
/// A value of any built-in type, scalar or one-dimensional array (OPC 10000-6 §5.2.2.16). Scalars are held as
/// their .NET type (<see cref="BuiltInType.Int32"/> as <see cref="int"/>, <see cref="BuiltInType.DateTime"/> as a
/// UTC <see cref="System.DateTime"/>, <see cref="BuiltInType.ByteString"/> as <see cref="byte"/>[]); arrays as .NET arrays of
/// those (<see cref="object"/>[] for Variant arrays).
/// </summary>
public readonly record struct Variant
{
    /// <summary>The empty Variant.</summary>
    public static readonly Variant Null;

    /// <summary>Creates a Variant; <paramref name="value"/> must be of the type's .NET representation.</summary>
    public Variant(BuiltInType type, object? value, bool isArray = false, int[]? arrayDimensions = null)
    {
        Type = value is null && !isArray ? BuiltInType.Null : type;
        Value = value;
        IsArray = isArray;
        ArrayDimensions = arrayDimensions;
    }

    /// <summary>The built-in type of the value (of each element, for arrays).</summary>
    public BuiltInType Type { get; }

    /// <summary>The value.</summary>
    public object? Value { get; }

    /// <summary>Whether the value is an array.</summary>
    public bool IsArray { get; }

    /// <summary>The dimensions of a multi-dimensional array (the value is then flattened), else null.</summary>
    public int[]? ArrayDimensions { get; }

    /// <summary>Whether the Variant holds nothing.</summary>
    public bool IsNull => Type == BuiltInType.Null;

    /// <summary>A Variant for a .NET value of a built-in type's representation (int, double, string, byte[], DateTime, ...).</summary>
    public static Variant From(object? value) => value switch
    {
        null => Null,
        Variant v => v,
        bool b => new(BuiltInType.Boolean, b),
        sbyte v => new(BuiltInType.SByte, v),
        byte v => new(BuiltInType.Byte, v),
        short v => new(BuiltInType.Int16, v),
        ushort v => new(BuiltInType.UInt16, v),
        int v => new(BuiltInType.Int32, v),
        uint v => new(BuiltInType.UInt32, v),
        long v => new(BuiltInType.Int64, v),
        ulong v => new(BuiltInType.UInt64, v),
        float v => new(BuiltInType.Float, v),
        double v => new(BuiltInType.Double, v),
        string v => new(BuiltInType.String, v),
        DateTime v => new(BuiltInType.DateTime, v.ToUniversalTime()),
        DateTimeOffset v => new(BuiltInType.DateTime, v.UtcDateTime),
        Guid v => new(BuiltInType.Guid, v),
        byte[] v => new(BuiltInType.ByteString, v),
        NodeId v => new(BuiltInType.NodeId, v),
        ExpandedNodeId v => new(BuiltInType.ExpandedNodeId, v),
        StatusCode v => new(BuiltInType.StatusCode, v),
        QualifiedName v => new(BuiltInType.QualifiedName, v),
        LocalizedText v => new(BuiltInType.LocalizedText, v),
        ExtensionObject v => new(BuiltInType.ExtensionObject, v),
        DataValue v => new(BuiltInType.DataValue, v),
        _ => throw new ArgumentException($"a {value.GetType().Name} is not a value of an OPC UA built-in type", nameof(value)),
    };

    /// <inheritdoc />
    public override string ToString() => Value switch
    {
        null => "null",
        byte[] bytes => Convert.ToHexStringLower(bytes),
        Array array => $"[{string.Join(", ", array.Cast<object?>().Select(e => Convert.ToString(e, CultureInfo.InvariantCulture)))}]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Value.ToString() ?? "",
    };

    /// <summary>Value equality, arrays and byte strings compared element by element.</summary>
    public bool Equals(Variant other) =>
        Type == other.Type && IsArray == other.IsArray && ValueEquals(Value, other.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, IsArray, Value is Array a ? a.Length : Value?.GetHashCode() ?? 0);

    private static bool ValueEquals(object? a, object? b)
    {
        if (a is Array x && b is Array y)
        {
            if (x.Length != y.Length) return false;
            for (int i = 0; i < x.Length; i++)
                if (!ValueEquals(x.GetValue(i), y.GetValue(i))) return false;
            return true;
        }
        return Equals(a, b);
    }
}
