using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MqttIoT.Sdk.Contract;

/// <summary>Source-generated System.Text.Json metadata for every payload of the contract.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = 32)]
[JsonSerializable(typeof(RequestBody))]
[JsonSerializable(typeof(ReplyEnvelope))]
[JsonSerializable(typeof(ReplyError))]
[JsonSerializable(typeof(DeviceProps))]
[JsonSerializable(typeof(StationProps))]
[JsonSerializable(typeof(EventMessage))]
[JsonSerializable(typeof(ValueReply))]
[JsonSerializable(typeof(WriteReply))]
[JsonSerializable(typeof(TimeReply))]
[JsonSerializable(typeof(EventsReply))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, DeviceProps>))]
[JsonSerializable(typeof(HubQueryBody))]
[JsonSerializable(typeof(HubPage<string>))]
[JsonSerializable(typeof(HubPage<DeviceAddress>))]
[JsonSerializable(typeof(HubPage<DeviceRecord>))]
[JsonSerializable(typeof(HubPage<StationRecord>))]
[JsonSerializable(typeof(DeviceRecord))]
[JsonSerializable(typeof(StationRecord))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class ContractJson : JsonSerializerContext;
