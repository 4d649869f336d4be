using System.Text.Json;

namespace MqttIoT.Sdk.Contract;

/// <summary>
/// The JSON body of a hub query (topics.md, "Hub queries"). Every field is optional; each query type names the ones
/// it reads. An empty payload is an empty body.
/// </summary>
public sealed record HubQueryBody
{
    /// <summary>GET_STATION: the station; LIST_DEVICES: only devices held by this station; GET_DEVICE: the station holding the device (needed when several hold its id).</summary>
    public string? Station { get; init; }
    /// <summary>GET_DEVICE: the device.</summary>
    public string? Device { get; init; }
    /// <summary>FIND_*: the filter, a JSON object of the hub's filter language (topics.md, "Filters").</summary>
    public JsonElement? Filter { get; init; }
    /// <summary>FIND_*: the field to sort by, <c>-</c> first for descending; default <c>id</c>.</summary>
    public string? Sort { get; init; }
    /// <summary>LIST_* and FIND_*: the most items in one page.</summary>
    public int? Limit { get; init; }
    /// <summary>LIST_* and FIND_*: the <c>next</c> token of the previous page, to get the page after it.</summary>
    public string? After { get; init; }
    /// <summary>MQTT 3.1.1 fallback: where to send the reply when the message has no ResponseTopic.</summary>
    public string? ResponseTopic { get; init; }
    /// <summary>MQTT 3.1.1 fallback: echoed in the reply body when the message has no CorrelationData.</summary>
    public string? CorrelationId { get; init; }
}
