namespace MqttIoT.Hub.Index;

/// <summary>The last value a device notified for one key.</summary>
internal sealed record NotifiedEntry(string Key, string Value, string? Text, DateTimeOffset At);
