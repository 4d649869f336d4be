namespace MqttIoT.OpcUa.Binary;

/// <summary>A value with its status and timestamps, as reads and data changes return it (OPC 10000-6 §5.2.2.17).</summary>
public sealed record DataValue
{
    /// <summary>The value.</summary>
    public Variant Value { get; init; }

    /// <summary>The status of the value; Good when the server omits it.</summary>
    public StatusCode StatusCode { get; init; }

    /// <summary>When the source produced the value (UTC), if the server said.</summary>
    public DateTime? SourceTimestamp { get; init; }

    /// <summary>Picoseconds added to <see cref="SourceTimestamp"/>.</summary>
    public ushort SourcePicoseconds { get; init; }

    /// <summary>When the server received the value (UTC), if it said.</summary>
    public DateTime? ServerTimestamp { get; init; }

    /// <summary>Picoseconds added to <see cref="ServerTimestamp"/>.</summary>
    public ushort ServerPicoseconds { get; init; }

    /// <summary>A Good value without timestamps, as writes send it.</summary>
    public static DataValue Of(Variant value) => new() { Value = value };
}
