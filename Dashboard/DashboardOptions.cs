using System.Net;
using MqttIoT.Sdk;

namespace MqttIoT.Dashboard;

/// <summary>How the dashboard decides who may see it.</summary>
public enum DashboardAuthMode
{
    /// <summary>A users file when one is given; otherwise anonymous if the broker lets an anonymous client in, else the broker's users.</summary>
    Auto,
    /// <summary>No login; only valid when the broker accepts anonymous clients (checked at start).</summary>
    Anonymous,
    /// <summary>Log in with a broker user: the dashboard connects an Sdk client with those credentials and acts as that user.</summary>
    Broker,
    /// <summary>Log in with a user of <see cref="DashboardOptions.UsersFile"/> (Mosquitto's password format); the dashboard acts with <see cref="DashboardOptions.Broker"/>'s credentials.</summary>
    UsersFile,
}

/// <summary>Options of the dashboard: where it listens, which broker it talks to (through the Sdk), who may log in, how it pushes.</summary>
public sealed class DashboardOptions
{
    /// <summary>Address the web server binds; loopback unless asked otherwise.</summary>
    public IPAddress BindAddress { get; set; } = IPAddress.Loopback;

    /// <summary>HTTP port; 0 picks a free one (see <see cref="DashboardServer.Url"/>).</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>The broker connection of the dashboard's own Sdk client (host, port, TLS; credentials in <see cref="DashboardAuthMode.UsersFile"/> mode).</summary>
    public IoTHubClientOptions Broker { get; set; } = new();

    /// <summary>Who may log in.</summary>
    public DashboardAuthMode Auth { get; set; } = DashboardAuthMode.Auto;

    /// <summary>A users file in Mosquitto's password format (<c>mosquitto_passwd</c>), for <see cref="DashboardAuthMode.UsersFile"/>.</summary>
    public string? UsersFile { get; set; }

    /// <summary>How long a login lasts without use.</summary>
    public TimeSpan SessionIdle { get; set; } = TimeSpan.FromHours(8);

    /// <summary>At most this many logins at once (oldest dropped beyond), so memory stays bounded.</summary>
    public int MaxSessions { get; set; } = 256;

    /// <summary>How often a page's live stream sends a batch of the events it gathered.</summary>
    public TimeSpan PushInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>At most this many events in one batch; the rest of a burst is counted as skipped (the page says so).</summary>
    public int MaxEventsPerPush { get; set; } = 200;

    /// <summary>Events a slow page may have waiting on the server before the oldest are dropped.</summary>
    public int StreamQueue { get; set; } = 2_000;

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public void Validate()
    {
        if (HttpPort is < 0 or > 65535) throw new ArgumentException("HttpPort must be 0..65535");
        if (Auth == DashboardAuthMode.UsersFile && string.IsNullOrEmpty(UsersFile)) throw new ArgumentException("the users-file mode needs UsersFile");
        if (UsersFile is not null && !File.Exists(UsersFile)) throw new ArgumentException($"users file '{UsersFile}' does not exist");
        if (PushInterval <= TimeSpan.Zero) throw new ArgumentException("PushInterval must be positive");
        if (MaxEventsPerPush < 1 || StreamQueue < 1 || MaxSessions < 1) throw new ArgumentException("MaxEventsPerPush, StreamQueue and MaxSessions must be positive");
    }
}
