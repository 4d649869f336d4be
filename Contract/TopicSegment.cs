using System.Text;

namespace MqttIoT.Sdk.Contract;

/// <summary>
/// Reversible escaping of ids and keys into one MQTT topic level. <c>%</c>, <c>/</c>, <c>+</c>, <c>#</c>, a leading
/// <c>$</c> and control characters become <c>%XX</c> (upper-case hex of the UTF-8 byte); everything else is kept, so
/// <c>ns=2;s=Line/Motor1</c> becomes <c>ns=2;s=Line%2FMotor1</c>. See topics.md, "Ids in topics".
/// </summary>
public static class TopicSegment
{
    /// <summary>Escapes an id or key for use as one topic level.</summary>
    /// <exception cref="ArgumentException">The id is empty.</exception>
    public static string Escape(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        int i = 0;
        while (i < id.Length && !MustEscape(id[i], i)) i++;
        if (i == id.Length) return id;

        var sb = new StringBuilder(id.Length + 8);
        sb.Append(id, 0, i);
        Span<byte> utf8 = stackalloc byte[4];
        for (; i < id.Length; i++)
        {
            char c = id[i];
            if (!MustEscape(c, i)) { sb.Append(c); continue; }
            // Everything escaped is ASCII, so one byte.
            sb.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Reverses <see cref="Escape"/>. Returns false for a level that no id escapes to.</summary>
    public static bool TryUnescape(string segment, out string id)
    {
        id = "";
        if (string.IsNullOrEmpty(segment)) return false;
        int pct = segment.IndexOf('%');
        if (pct < 0)
        {
            // A bare character that Escape would have escaped (a control character, a leading '$', '+', '#') is a
            // second spelling of some id, or none: refused, so one device has one topic.
            for (int i = 0; i < segment.Length; i++)
                if (MustEscape(segment[i], i)) return false;
            id = segment;
            return true;
        }
        var sb = new StringBuilder(segment.Length);
        for (int i = 0; i < segment.Length; i++)
        {
            char c = segment[i];
            if (c != '%')
            {
                if (MustEscape(c, sb.Length)) return false;
                sb.Append(c);
                continue;
            }
            if (i + 2 >= segment.Length || !IsHex(segment[i + 1]) || !IsHex(segment[i + 2])) return false;
            char decoded = (char)Convert.ToInt32(segment.Substring(i + 1, 2), 16);
            if (!MustEscape(decoded, sb.Length)) return false; // only one spelling per id
            sb.Append(decoded);
            i += 2;
        }
        id = sb.ToString();
        return id.Length > 0;
    }

    /// <summary>Unescapes or throws <see cref="FormatException"/>.</summary>
    public static string Unescape(string segment) =>
        TryUnescape(segment, out var id) ? id : throw new FormatException($"'{segment}' is not an escaped topic level");

    private static bool MustEscape(char c, int index) =>
        c is '%' or '/' or '+' or '#' || c < 0x20 || c == 0x7F || (c == '$' && index == 0);

    // Upper-case only: Escape writes %2F, so %2f would be a second spelling of the same id.
    private static bool IsHex(char c) => c is (>= '0' and <= '9') or (>= 'A' and <= 'F');
}
