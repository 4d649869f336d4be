using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

/// <summary>A page of a station's recent events (GET_EVENTS), in seq order.</summary>
/// <param name="Events">The events, each with its <see cref="EventMessage.Seq"/>.</param>
/// <param name="Next">Pass as <c>after</c> for the next page; null when this page reaches the station's newest event.</param>
/// <param name="First">The oldest seq the station's outbox holds, or null when it holds none.</param>
/// <param name="Last">The station's newest seq (0 before its first event).</param>
public sealed record EventPage(IReadOnlyList<EventMessage> Events, long? Next, long? First, long Last);
