namespace MqttIoT.Dashboard.Live;

/// <summary>What one page's stream wants: every field given must match (the connection status always passes).</summary>
internal sealed record EventFilter(string? Station, string? Device, IReadOnlySet<string>? Types, string? Key)
{
    public static EventFilter All { get; } = new(null, null, null, null);

    public bool Matches(LiveEvent e) =>
        e.Kind == LiveEventWriter.StatusKind
        || ((Station is null || e.Station == Station)
            && (Device is null || e.Device == Device)
            && (Types is null || Types.Contains(e.Type))
            && (Key is null || e.Key == Key));

    /// <summary>Reads <c>station</c>, <c>device</c>, <c>types</c> (comma-separated wire names) and <c>key</c> from a query string.</summary>
    public static EventFilter Parse(Func<string, string?> query)
    {
        static string? Nonempty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
        var types = Nonempty(query("types"))?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new(Nonempty(query("station")), Nonempty(query("device")),
            types is { Length: > 0 } ? new HashSet<string>(types, StringComparer.Ordinal) : null, Nonempty(query("key")));
    }
}
