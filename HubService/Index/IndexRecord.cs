namespace MqttIoT.Hub.Index;

/// <summary>
/// One station or device of the index. Immutable: the ingest loop replaces a record with a changed copy, so a query
/// running at the same time sees either the old record or the new one, never half of each.
/// </summary>
internal sealed record IndexRecord
{
    public required string Id { get; init; }
    public required bool IsDevice { get; init; }
    /// <summary>Devices: the station that holds it, from its topics (part of its key); null for stations.</summary>
    public string? Station { get; init; }

    /// <summary>What the index and the file know the record by.</summary>
    public RecordKey Key => new(Id, Station);
    /// <summary>The last availability payload seen: true for <c>online</c>, false for <c>offline</c>, null if none yet.</summary>
    public bool? Availability { get; init; }
    public bool Online { get; init; }
    public bool Stale { get; init; }
    public DateTimeOffset FirstSeen { get; init; }
    public DateTimeOffset LastSeen { get; init; }
    /// <summary>The props as their gateway published them (UTF-8 JSON object), written into replies as they are.</summary>
    public required byte[] Props { get; init; }
    public required PropsFields Fields { get; init; }
    /// <summary>Devices: last notified value per key, sorted by key.</summary>
    public NotifiedEntry[] Notified { get; init; } = [];
    /// <summary>The connection generation in which the props were last delivered (0: loaded from disk, not yet confirmed).</summary>
    public int Generation { get; init; }

    public NotifiedEntry? FindNotified(string key)
    {
        foreach (var n in Notified)
            if (string.Equals(n.Key, key, StringComparison.Ordinal)) return n;
        return null;
    }
}
