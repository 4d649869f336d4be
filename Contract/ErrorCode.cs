using System.Text.Json.Serialization;

namespace MqttIoT.Sdk.Contract;

/// <summary>
/// The stable error codes of the reply envelope. Each member maps one-to-one to the code on the wire
/// (topics.md, "Error codes"); codes are never renamed, only added.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ErrorCode>))]
public enum ErrorCode
{
    /// <summary>The request could not be understood: bad JSON, a missing or ill-typed option, a payload over the size limit.</summary>
    [JsonStringEnumMemberName("BAD_REQUEST")] BadRequest,
    /// <summary>The request or query type is not one the target supports.</summary>
    [JsonStringEnumMemberName("UNSUPPORTED")] Unsupported,
    /// <summary>No gateway serves that station.</summary>
    [JsonStringEnumMemberName("UNKNOWN_STATION")] UnknownStation,
    /// <summary>No gateway holds that device (or the hub has no record of it).</summary>
    [JsonStringEnumMemberName("UNKNOWN_DEVICE")] UnknownDevice,
    /// <summary>The device has no such key.</summary>
    [JsonStringEnumMemberName("UNKNOWN_KEY")] UnknownKey,
    /// <summary>The device is known but not connected.</summary>
    [JsonStringEnumMemberName("NOT_CONNECTED")] NotConnected,
    /// <summary>The target is in a state that forbids the request (station stopped, discovery disabled).</summary>
    [JsonStringEnumMemberName("INVALID_STATE")] InvalidState,
    /// <summary>The request's deadline passed before or while it ran; if it had not started it was not executed.</summary>
    [JsonStringEnumMemberName("DEADLINE_EXCEEDED")] DeadlineExceeded,
    /// <summary>The backend (BLE stack, OPC UA server, simulated device) failed to carry the request out.</summary>
    [JsonStringEnumMemberName("BACKEND_FAILURE")] BackendFailure,
    /// <summary>The responder is overloaded and refused the request; try again later.</summary>
    [JsonStringEnumMemberName("BUSY")] Busy,
    /// <summary>Nobody answers on that topic (for the hub: no hub replica is running).</summary>
    [JsonStringEnumMemberName("UNAVAILABLE")] Unavailable,
    /// <summary>GET_EVENTS: the events after the cursor are older than the outbox holds; the message names the oldest seq held.</summary>
    [JsonStringEnumMemberName("OUT_OF_RANGE")] OutOfRange,
    /// <summary>An unexpected failure inside the responder; it is logged there.</summary>
    [JsonStringEnumMemberName("INTERNAL")] Internal,
}
