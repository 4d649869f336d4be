using System.Text.Json;

namespace MqttIoT.Hub.Index;

/// <summary>A props payload parsed outside the index lock: the bytes as received, flattened fields, and the facts the index uses.</summary>
internal sealed record ParsedProps(byte[] Json, PropsFields Fields, string? Station, bool? Connected)
{
    /// <summary>Parses a props payload; false (with why) when it is not a JSON object.</summary>
    public static bool TryParse(byte[] payload, PathTable paths, out ParsedProps props, out string error)
    {
        props = null!;
        error = "";
        try
        {
            using var doc = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 32 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"props must be a JSON object, not {root.ValueKind}";
                return false;
            }
            string? station = root.TryGetProperty("station", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            bool? connected = root.TryGetProperty("connected", out var c) && c.ValueKind is JsonValueKind.True or JsonValueKind.False ? c.GetBoolean() : null;
            props = new ParsedProps(payload, PropsFields.Flatten(root, paths), station, connected);
            return true;
        }
        catch (JsonException ex)
        {
            error = $"props are not JSON: {ex.Message}";
            return false;
        }
    }
}
