namespace MqttIoT.Dashboard.Live;

/// <summary>
/// One event on its way to the pages: the fields a stream filters on, and the event already written as JSON once
/// (so a burst fanned out to many pages is serialized once, not once per page).
/// </summary>
internal sealed record LiveEvent(string Kind, string Type, string? Station, string? Device, string? Key, byte[] Json);
