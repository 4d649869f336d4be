using System.Text.Json;
using System.Text.Json.Serialization;

namespace MqttIoT.Hub.Queries;

/// <summary>JSON the hub has already written (a page of records with their props as received), put into a reply as it is.</summary>
[JsonConverter(typeof(RawJsonConverter))]
internal sealed record RawJson(byte[] Utf8);

internal sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("the hub only writes raw JSON");

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Utf8, skipInputValidation: true);
}

/// <summary>Source-generated metadata of the hub's own reply payload type.</summary>
[JsonSerializable(typeof(RawJson))]
internal sealed partial class HubJson : JsonSerializerContext;
