using System.Text.Json.Serialization.Metadata;

namespace MqttIoT.Protocol.Requests;

/// <summary>What a handler returns: nothing, or a value with its source-generated JSON metadata.</summary>
public readonly struct HandlerResult
{
    private readonly object? _value;
    private readonly JsonTypeInfo? _typeInfo;

    private HandlerResult(object? value, JsonTypeInfo typeInfo)
    {
        _value = value;
        _typeInfo = typeInfo;
    }

    /// <summary>No data: the reply is <c>{"status":"ok"}</c>.</summary>
    public static HandlerResult None => default;

    /// <summary>A value for the reply's <c>data</c>.</summary>
    public static HandlerResult Of<T>(T value, JsonTypeInfo<T> typeInfo) => new(value, typeInfo);

    /// <summary>The value, or null.</summary>
    public object? Value => _value;

    /// <summary>The value's JSON metadata; null when there is no data.</summary>
    public JsonTypeInfo? TypeInfo => _typeInfo;
}
