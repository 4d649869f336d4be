using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using MqttIoT.Hub.Index;

namespace MqttIoT.Hub.Filtering;

/// <summary>
/// The continuation token of a page: where the last item stood in the query's order (its sort key, id and, for a
/// device, station: the whole key, so two stations' devices of one id page apart exactly) and a hash
/// of the query, so a token cannot be replayed against another filter or sort. Opaque to clients (base64url).
/// Paging by position rather than offset means a record added or removed between pages moves nothing else.
/// </summary>
internal static class PageToken
{
    public static string Encode(uint queryHash, in FieldValue key, RecordKey record)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteNumberValue(queryHash);
            w.WriteNumberValue((int)key.Kind);
            w.WriteNumberValue(key.Number);
            if (key.Text is null) w.WriteNullValue(); else w.WriteStringValue(key.Text);
            w.WriteStringValue(record.Id);
            if (record.Station is null) w.WriteNullValue(); else w.WriteStringValue(record.Station);
            w.WriteEndArray();
        }
        return Base64Url.EncodeToString(buffer.WrittenSpan);
    }

    public static (FieldValue Key, RecordKey Record) Decode(string token, uint queryHash)
    {
        try
        {
            using var doc = JsonDocument.Parse(Base64Url.DecodeFromChars(token));
            var a = doc.RootElement;
            if (a.ValueKind != JsonValueKind.Array || a.GetArrayLength() != 6) throw new FormatException();
            if (a[0].GetUInt32() != queryHash)
                throw new FilterException("'after' is the token of another query (a different filter, sort or station); start again without 'after'");
            var key = new FieldValue((FieldKind)a[1].GetInt32(), a[2].GetDouble(), a[3].ValueKind == JsonValueKind.Null ? null : a[3].GetString());
            var station = a[5].ValueKind == JsonValueKind.Null ? null : a[5].GetString();
            return (key, new RecordKey(a[4].GetString() ?? throw new FormatException(), station));
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or OverflowException)
        {
            throw new FilterException("'after' is not a page token of this hub: pass the 'next' of the previous page as it was");
        }
    }

    /// <summary>FNV-1a over the parts of a query that define its order and content.</summary>
    public static uint Hash(params ReadOnlySpan<string?> parts)
    {
        var h = 2166136261u;
        foreach (var part in parts)
        {
            foreach (var c in part ?? "\u0001") { h ^= c; h *= 16777619u; }
            h ^= 0xFFFF; h *= 16777619u;
        }
        return h;
    }
}
