using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MqttIoT.Dashboard.Api;

/// <summary>
/// The overview's search box: a JSON object is the hub's filter language as is (topics.md, "Filters"); any other
/// text finds devices whose id contains it, ignoring case.
/// </summary>
internal static class DeviceQuery
{
    /// <summary>The hub filter of a search text, or null for everything.</summary>
    /// <exception cref="FormatException">The text looks like JSON but is not a JSON object.</exception>
    public static JsonElement? Filter(string? search)
    {
        if (string.IsNullOrWhiteSpace(search)) return null;
        var text = search.Trim();
        if (text[0] is '{' or '[')
        {
            JsonNode? node;
            try { node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }); }
            catch (JsonException ex) { throw new FormatException($"the filter is not valid JSON: {ex.Message}", ex); }
            if (node is not JsonObject) throw new FormatException("the filter must be a JSON object, e.g. {\"online\":true}");
            return JsonSerializer.SerializeToElement(node, DashboardJson.Default.JsonNode);
        }
        // The hub ANDs its conditions, so one text can match one field: the id (a name search is one JSON filter away,
        // {"name":{"$regex":"...","$options":"i"}}).
        var filter = new JsonObject { ["id"] = new JsonObject { ["$regex"] = Regex.Escape(text), ["$options"] = "i" } };
        return JsonSerializer.SerializeToElement(filter, DashboardJson.Default.JsonNode);
    }
}
