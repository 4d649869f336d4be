using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace MqttIoT.Dashboard.Api;

/// <summary>Reads the small JSON bodies the page sends (a few string fields), refusing anything else in words.</summary>
internal static class RequestJson
{
    private const int MaxBody = 64 * 1024;

    /// <summary>The body's string fields; an empty body is an empty object.</summary>
    /// <exception cref="FormatException">The body is not a JSON object of strings, or too big.</exception>
    public static async Task<IReadOnlyDictionary<string, string>> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBody) throw new FormatException($"the body is over {MaxBody} bytes");
        using var memory = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (memory.Length + read > MaxBody) throw new FormatException($"the body is over {MaxBody} bytes");
            memory.Write(buffer, 0, read);
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (memory.Length == 0) return fields;
        try
        {
            using var doc = JsonDocument.Parse(memory.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException("the body must be a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.Null) continue;
                fields[p.Name] = p.Value.ValueKind == JsonValueKind.String
                    ? p.Value.GetString()!
                    : throw new FormatException($"'{p.Name}' must be a string");
            }
        }
        catch (JsonException ex) { throw new FormatException($"the body is not JSON: {ex.Message}", ex); }
        return fields;
    }
}
