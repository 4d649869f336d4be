using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;

namespace MqttIoT.Sdk.Contract;

/// <summary>
/// The wire name of a contract enum member (its <see cref="JsonStringEnumMemberNameAttribute"/>), used both in
/// JSON and as a topic segment, so the two can never disagree.
/// </summary>
/// <typeparam name="TEnum">One of the contract's enums.</typeparam>
public static class WireName<TEnum> where TEnum : struct, Enum
{
    private static readonly FrozenDictionary<TEnum, string> ToName;
    private static readonly FrozenDictionary<string, TEnum> FromName;

    static WireName()
    {
        var pairs = typeof(TEnum).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (Value: (TEnum)f.GetValue(null)!,
                          Name: f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name))
            .ToArray();
        ToName = pairs.ToFrozenDictionary(p => p.Value, p => p.Name);
        FromName = pairs.ToFrozenDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        All = pairs.Select(p => p.Name).ToArray();
    }

    /// <summary>Every wire name of the enum, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; }

    /// <summary>The wire name of <paramref name="value"/>.</summary>
    public static string Of(TEnum value) => ToName[value];

    /// <summary>Parses a wire name; case-sensitive, as on the wire.</summary>
    public static bool TryParse(string? name, out TEnum value)
    {
        if (name is not null && FromName.TryGetValue(name, out value)) return true;
        value = default;
        return false;
    }
}
