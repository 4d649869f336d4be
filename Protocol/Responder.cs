using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MQTTnet;
using MQTTnet.Protocol;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Protocol;

/// <summary>
/// The responder half of the contract's request/response, shared by the gateway and the hub: reading a request
/// body with a size limit, and building the one reply envelope with its user properties.
/// </summary>
public static class Responder
{
    /// <summary>
    /// Parses a JSON body. An empty payload is <paramref name="empty"/>; anything over <paramref name="maxBytes"/>,
    /// not JSON, not UTF-8, too deep or of the wrong shape gives an error message for a BAD_REQUEST reply.
    /// </summary>
    public static bool TryParseBody<T>(byte[] payload, int maxBytes, JsonTypeInfo<T> typeInfo, T empty, out T body, out string error)
    {
        body = empty;
        error = "";
        if (payload.Length == 0) return true;
        if (payload.Length > maxBytes)
        {
            error = $"the body is {payload.Length} bytes, over the limit of {maxBytes}";
            return false;
        }
        try
        {
            var parsed = JsonSerializer.Deserialize(payload, typeInfo);
            if (parsed is null)
            {
                error = "the body must be a JSON object, not null";
                return false;
            }
            body = parsed;
            return true;
        }
        catch (JsonException ex)
        {
            error = ex.Path is { Length: > 1 } path
                ? $"the body is not a valid request: the value at '{path}' has the wrong type or is malformed"
                : $"the body is not a JSON object of the request's options (byte {ex.BytePositionInLine ?? 0} of line {ex.LineNumber ?? 0})";
            return false;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NotSupportedException)
        {
            error = $"the body is not a valid request: {ex.Message}";
            return false;
        }
    }

    /// <summary>
    /// How long a request may take from its arrival: its MessageExpiryInterval (what is left of it: the broker counts it
    /// down while the request waits), or the requester's exact timeout (<see cref="Wire.TimeoutProperty"/>) when that is
    /// shorter; <paramref name="fallback"/> when it has neither.
    /// </summary>
    /// <exception cref="IoTException">BAD_REQUEST: the timeout property is not a positive whole number of milliseconds.</exception>
    public static TimeSpan Deadline(ReceivedMessage request, TimeSpan fallback)
    {
        TimeSpan? expiry = request.MessageExpiryInterval > 0 ? TimeSpan.FromSeconds(request.MessageExpiryInterval) : null;
        TimeSpan? timeout = null;
        if (request.UserProperty(Wire.TimeoutProperty) is { } text)
        {
            if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms) || ms <= 0 || ms > uint.MaxValue * 1000L)
                throw new IoTException(ErrorCode.BadRequest, $"the user property {Wire.TimeoutProperty} must be a positive whole number of milliseconds, not '{text}'");
            timeout = TimeSpan.FromMilliseconds(ms);
        }
        return (expiry, timeout) switch
        {
            ({ } e, { } t) => e < t ? e : t,
            ({ } e, null) => e,
            (null, { } t) => t,
            _ => fallback,
        };
    }

    /// <summary>
    /// Where the reply goes: the request's ResponseTopic, or for an MQTT 3.1.1 client (which has none) the
    /// <c>responseTopic</c> and <c>correlationId</c> of its body.
    /// </summary>
    public static (string? ResponseTopic, string? CorrelationId) ReplyAddress(ReceivedMessage request, string? bodyResponseTopic, string? bodyCorrelationId) =>
        request.ResponseTopic is { } topic ? (topic, null) : (bodyResponseTopic, bodyResponseTopic is null ? null : bodyCorrelationId);

    /// <summary>An ok reply with optional data.</summary>
    public static MqttApplicationMessage Ok(string responseTopic, byte[]? correlationData, string? correlationId, object? data, JsonTypeInfo? dataType)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status"u8, Wire.StatusOk);
            if (dataType is not null)
            {
                w.WritePropertyName("data"u8);
                JsonSerializer.Serialize(w, data, dataType);
            }
            if (correlationId is not null) w.WriteString("correlationId"u8, correlationId);
            w.WriteEndObject();
        }
        return Build(responseTopic, correlationData, buffer.WrittenSpan.ToArray(), null);
    }

    /// <summary>An error reply.</summary>
    public static MqttApplicationMessage Error(string responseTopic, byte[]? correlationData, string? correlationId, ErrorCode code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status"u8, Wire.StatusError);
            w.WriteStartObject("error"u8);
            w.WriteString("code"u8, WireName<ErrorCode>.Of(code));
            w.WriteString("message"u8, message);
            w.WriteEndObject();
            if (correlationId is not null) w.WriteString("correlationId"u8, correlationId);
            w.WriteEndObject();
        }
        return Build(responseTopic, correlationData, buffer.WrittenSpan.ToArray(), code);
    }

    private static MqttApplicationMessage Build(string topic, byte[]? correlationData, byte[] payload, ErrorCode? code)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithContentType(Wire.JsonContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithUserProperty(Wire.StatusProperty, code is null ? StatusOkBytes : StatusErrorBytes);
        if (code is { } c) builder.WithUserProperty(Wire.ErrorCodeProperty, System.Text.Encoding.UTF8.GetBytes(WireName<ErrorCode>.Of(c)).AsMemory());
        if (correlationData is not null) builder.WithCorrelationData(correlationData);
        return builder.Build();
    }

    private static readonly ReadOnlyMemory<byte> StatusOkBytes = "ok"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> StatusErrorBytes = "error"u8.ToArray();
}
