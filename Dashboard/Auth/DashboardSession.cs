using MqttIoT.Dashboard.Live;

namespace MqttIoT.Dashboard.Auth;

/// <summary>A logged-in page (or the anonymous one): who, and the Sdk connection its requests go through.</summary>
internal sealed class DashboardSession(string token, string? user, FleetConnection connection, DateTimeOffset now)
{
    public string Token { get; } = token;
    public string? User { get; } = user;
    public FleetConnection Connection { get; } = connection;
    public DateTimeOffset LastUsed { get; set; } = now;
}
