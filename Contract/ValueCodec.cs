using System.Text;

namespace MqttIoT.Sdk.Contract;

/// <summary>
/// How bytes cross the wire: lower-case hex in <c>value</c> (<c>"0a1b"</c>), typed and read easily with
/// mosquitto_rr, plus the same bytes as <c>text</c> when they are printable UTF-8. Writers may send either.
/// </summary>
public static class ValueCodec
{
    /// <summary>Bytes to lower-case hex.</summary>
    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Hex (either case, optional spaces, optional <c>0x</c>) to bytes.</summary>
    public static bool TryFromHex(string? hex, out byte[] bytes)
    {
        bytes = [];
        if (hex is null) return false;
        var clean = hex.Replace(" ", "", StringComparison.Ordinal);
        if (clean.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) clean = clean[2..];
        if (clean.Length % 2 != 0) return false;
        try { bytes = Convert.FromHexString(clean); return true; }
        catch (FormatException) { return false; }
    }

    /// <summary>The bytes as text when they are valid UTF-8 with no control characters other than tab and newlines; else null.</summary>
    public static string? ToText(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return "";
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        var text = Encoding.UTF8.GetString(bytes);
        foreach (var c in text)
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r')) return null;
        return text;
    }
}
