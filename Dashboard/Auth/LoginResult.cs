namespace MqttIoT.Dashboard.Auth;

/// <summary>The outcome of a login: a session, or why not in words.</summary>
internal sealed record LoginResult(DashboardSession? Session, string? Error, bool BrokerUnavailable = false);
