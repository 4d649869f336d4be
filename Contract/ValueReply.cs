namespace MqttIoT.Sdk.Contract;

/// <summary>The data of a READ_VALUE reply, and of a NOTIFIED event.</summary>
/// <param name="Key">The key read.</param>
/// <param name="Value">The bytes, as lower-case hex.</param>
/// <param name="Text">The same bytes as text when they are printable UTF-8.</param>
public sealed record ValueReply(string Key, string Value, string? Text);

/// <summary>The data of a WRITE_VALUE reply.</summary>
/// <param name="Key">The key written.</param>
/// <param name="Written">How many bytes were written.</param>
public sealed record WriteReply(string Key, int Written);

/// <summary>The data of SET_TIME and SYNC_TIME replies and of TIME_SET and SYNCED events.</summary>
/// <param name="DeviceTime">The device's clock after the request.</param>
/// <param name="OffsetMs">Device clock minus gateway clock before the request, in milliseconds.</param>
public sealed record TimeReply(DateTimeOffset DeviceTime, double OffsetMs);
