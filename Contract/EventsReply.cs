namespace MqttIoT.Sdk.Contract;

/// <summary>The data of a GET_EVENTS reply: a page of the station's outbox (topics.md, "The outbox and GET_EVENTS").</summary>
public sealed record EventsReply
{
    /// <summary>The events after the cursor that match the types asked for, in seq order.</summary>
    public required IReadOnlyList<EventMessage> Events { get; init; }
    /// <summary>The cursor of the next page (pass it as <c>after</c>), or null when this page reaches the newest event.</summary>
    public long? Next { get; init; }
    /// <summary>The oldest seq the outbox holds, or null when it holds none.</summary>
    public long? First { get; init; }
    /// <summary>The station's newest seq (0 before its first event).</summary>
    public long Last { get; init; }
}
