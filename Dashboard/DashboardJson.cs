using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MqttIoT.Dashboard;

/// <summary>Source-generated JSON metadata for the few types the dashboard serializes itself.</summary>
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class DashboardJson : JsonSerializerContext;
