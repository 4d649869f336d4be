namespace MqttIoT.Sdk.Contract;

/// <summary>The last value a device notified for one key, as a device record keeps it.</summary>
/// <param name="Value">The bytes, lower-case hex.</param>
/// <param name="Text">The same bytes as text when they are printable UTF-8.</param>
/// <param name="At">The NOTIFIED event's timestamp.</param>
public sealed record NotifiedValue(string Value, string? Text, DateTimeOffset At);
