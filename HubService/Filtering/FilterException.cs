namespace MqttIoT.Hub.Filtering;

/// <summary>A filter, sort or page token that cannot be used; the message says what is wrong and becomes a BAD_REQUEST reply.</summary>
internal sealed class FilterException(string message) : Exception(message);
