using System.Buffers;
using System.Text.Json;
using LiteDB;

namespace MqttIoT.Hub.Storage;

/// <summary>
/// JSON props to BSON and back, so each record's props are a real nested document in LiteDB (readable with any
/// LiteDB tool) rather than a string. Numbers become Int32, Int64 or Double; nothing else needs care, since props
/// are plain JSON.
/// </summary>
internal static class BsonJson
{
    /// <summary>Converts a JSON object; false when LiteDB cannot hold it faithfully (its documents ignore key case).</summary>
    public static bool TryToBson(byte[] json, out BsonDocument document)
    {
        using var doc = JsonDocument.Parse(json);
        document = new BsonDocument();
        return doc.RootElement.ValueKind == JsonValueKind.Object && TryFill(document, doc.RootElement);
    }

    private static bool TryFill(BsonDocument target, JsonElement source)
    {
        foreach (var p in source.EnumerateObject())
        {
            if (target.ContainsKey(p.Name) || !TryConvert(p.Value, out var value)) return false;
            target[p.Name] = value;
        }
        return true;
    }

    private static bool TryConvert(JsonElement e, out BsonValue value)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var doc = new BsonDocument();
                value = doc;
                return TryFill(doc, e);
            case JsonValueKind.Array:
                var array = new BsonArray();
                foreach (var item in e.EnumerateArray())
                {
                    if (!TryConvert(item, out var v)) { value = array; return false; }
                    array.Add(v);
                }
                value = array;
                return true;
            case JsonValueKind.String: value = new BsonValue(e.GetString()); return true;
            case JsonValueKind.True: value = new BsonValue(true); return true;
            case JsonValueKind.False: value = new BsonValue(false); return true;
            case JsonValueKind.Number:
                if (e.TryGetInt32(out var i)) value = new BsonValue(i);
                else if (e.TryGetInt64(out var l)) value = new BsonValue(l);
                else value = new BsonValue(e.GetDouble());
                return true;
            default: value = BsonValue.Null; return true;
        }
    }

    public static byte[] ToJson(BsonDocument document)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer)) Write(w, document);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter w, BsonValue value)
    {
        switch (value.Type)
        {
            case BsonType.Document:
                w.WriteStartObject();
                foreach (var (k, v) in value.AsDocument) { w.WritePropertyName(k); Write(w, v); }
                w.WriteEndObject();
                break;
            case BsonType.Array:
                w.WriteStartArray();
                foreach (var v in value.AsArray) Write(w, v);
                w.WriteEndArray();
                break;
            case BsonType.String: w.WriteStringValue(value.AsString); break;
            case BsonType.Boolean: w.WriteBooleanValue(value.AsBoolean); break;
            case BsonType.Int32: w.WriteNumberValue(value.AsInt32); break;
            case BsonType.Int64: w.WriteNumberValue(value.AsInt64); break;
            case BsonType.Double: w.WriteNumberValue(value.AsDouble); break;
            case BsonType.Decimal: w.WriteNumberValue(value.AsDecimal); break;
            case BsonType.DateTime: w.WriteStringValue(value.AsDateTime.ToUniversalTime()); break;
            default: w.WriteNullValue(); break;
        }
    }
}
