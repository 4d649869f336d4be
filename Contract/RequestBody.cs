namespace MqttIoT.Sdk.Contract;

/// <summary>
/// The JSON body of a station request, station query or device request. Every field is optional; each
/// request type names the ones it needs (topics.md, "Requests"). An empty payload is an empty body.
/// </summary>
public sealed record RequestBody
{
    /// <summary>The device a station request or query is about (CONNECT, DISCONNECT, GET_DEVICE_PROPS, GET_DEVICE_KEYS).</summary>
    public string? Device { get; init; }
    /// <summary>The key of READ_VALUE, WRITE_VALUE, START_NOTIFY, STOP_NOTIFY.</summary>
    public string? Key { get; init; }
    /// <summary>WRITE_VALUE: the bytes to write, as hex (see <see cref="ValueCodec"/>).</summary>
    public string? Value { get; init; }
    /// <summary>WRITE_VALUE: the bytes to write, as UTF-8 text; an alternative to <see cref="Value"/>.</summary>
    public string? Text { get; init; }
    /// <summary>WRITE_VALUE: wait for the device to acknowledge (default true).</summary>
    public bool? WithResponse { get; init; }
    /// <summary>GET_EVENTS: the cursor; events with a greater seq are answered (default: from the oldest held).</summary>
    public long? After { get; init; }
    /// <summary>GET_EVENTS: at most this many events (default 100, at most 1,000).</summary>
    public int? Limit { get; init; }
    /// <summary>GET_EVENTS: only events of these types (wire names of station and device events); default all.</summary>
    public string[]? Types { get; init; }
    /// <summary>MQTT 3.1.1 fallback: where to send the reply when the message has no ResponseTopic.</summary>
    public string? ResponseTopic { get; init; }
    /// <summary>MQTT 3.1.1 fallback: echoed in the reply body when the message has no CorrelationData.</summary>
    public string? CorrelationId { get; init; }
}
