using System.Globalization;
using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa;

/// <summary>
/// Converts a .NET value to a variable's built-in type before a write, so a caller can write <c>21</c> to a Double or
/// <c>1450.5</c> to a Float. What does not convert without loss (text to a number, 21.5 to an Int32, 300 to a Byte)
/// fails with BadTypeMismatch, the code a server would answer, before anything is sent.
/// </summary>
public static class ValueConverter
{
    /// <summary>The value as a Variant of <paramref name="target"/>, or BadTypeMismatch.</summary>
    public static Variant Convert(object? value, BuiltInType target)
    {
        if (value is Variant v) value = v.Value;
        if (value is null) throw Mismatch("null", target);
        try
        {
            object converted = target switch
            {
                BuiltInType.Boolean => value is bool b ? b : throw Mismatch(value, target),
                BuiltInType.SByte => checked((sbyte)Integral(value, target)),
                BuiltInType.Byte => checked((byte)Integral(value, target)),
                BuiltInType.Int16 => checked((short)Integral(value, target)),
                BuiltInType.UInt16 => checked((ushort)Integral(value, target)),
                BuiltInType.Int32 => checked((int)Integral(value, target)),
                BuiltInType.UInt32 => checked((uint)Integral(value, target)),
                BuiltInType.Int64 => checked((long)Integral(value, target)),
                BuiltInType.UInt64 => value is ulong u ? u : checked((ulong)Integral(value, target)),
                BuiltInType.Float => (float)Real(value, target),
                BuiltInType.Double => Real(value, target),
                BuiltInType.String or BuiltInType.XmlElement => value as string ?? throw Mismatch(value, target),
                BuiltInType.DateTime => value switch
                {
                    DateTime dt => dt.ToUniversalTime(),
                    DateTimeOffset dto => dto.UtcDateTime,
                    _ => throw Mismatch(value, target),
                },
                BuiltInType.Guid => value is Guid g ? g : throw Mismatch(value, target),
                BuiltInType.ByteString => value as byte[] ?? throw Mismatch(value, target),
                BuiltInType.NodeId => value as NodeId ?? throw Mismatch(value, target),
                BuiltInType.StatusCode => value is StatusCode s ? s : throw Mismatch(value, target),
                BuiltInType.QualifiedName => value is QualifiedName q ? q : throw Mismatch(value, target),
                BuiltInType.LocalizedText => value switch
                {
                    LocalizedText t => t,
                    string text => new LocalizedText(null, text),
                    _ => throw Mismatch(value, target),
                },
                _ => Variant.From(value).Type == target ? value : throw Mismatch(value, target),
            };
            return new Variant(target, converted);
        }
        catch (OverflowException)
        {
            throw Mismatch(value, target, "out of its range");
        }
    }

    private static long Integral(object value, BuiltInType target) => value switch
    {
        sbyte or byte or short or ushort or int or uint or long => System.Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ulong u => checked((long)u),
        float or double when System.Convert.ToDouble(value, CultureInfo.InvariantCulture) is var d && Math.Floor(d) == d
            && d >= long.MinValue && d <= long.MaxValue => (long)d,
        _ => throw Mismatch(value, target),
    };

    private static double Real(object value, BuiltInType target) => value switch
    {
        sbyte or byte or short or ushort or int or uint or long or ulong or float or double => System.Convert.ToDouble(value, CultureInfo.InvariantCulture),
        _ => throw Mismatch(value, target),
    };

    private static OpcUaException Mismatch(object value, BuiltInType target, string? why = null) =>
        new(StatusCodes.BadTypeMismatch, $"a {(value is string s && s == "null" ? "null" : value.GetType().Name)} {(why ?? "does not convert")} to the variable's type {target}");
}
