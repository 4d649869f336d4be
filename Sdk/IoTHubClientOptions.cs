using MqttIoT.Sdk.Contract;
using MqttIoT.Protocol;

namespace MqttIoT.Sdk;

/// <summary>Options of <see cref="IoTHubClient"/>.</summary>
public sealed class IoTHubClientOptions
{
    /// <summary>Broker host name or address.</summary>
    public string Host { get; set; } = "127.0.0.1";
    /// <summary>Broker port.</summary>
    public int Port { get; set; } = 1883;
    /// <summary>Topic root (default <c>iot/v1</c>).</summary>
    public string Root { get; set; } = TopicTree.DefaultRoot;
    /// <summary>MQTT client id; random when empty.</summary>
    public string ClientId { get; set; } = "";
    /// <summary>User name, when the broker wants one.</summary>
    public string? Username { get; set; }
    /// <summary>Password, when the broker wants one.</summary>
    public string? Password { get; set; }
    /// <summary>Deadline of a request when the call gives none; also its MessageExpiryInterval (rounded up to seconds).</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long the broker keeps this client's session (its subscriptions, and the events and replies that arrive
    /// meanwhile, at QoS 1) after the connection drops; zero (the default) starts clean on every connect. Needs a
    /// fixed <see cref="ClientId"/>. A broker that restarts keeps sessions only if it persists them (Mosquitto with
    /// persistence does, up to its last save; the embedded broker does not).
    /// </summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.Zero;
    /// <summary>Events buffered per subscription; a subscription read more slowly drops its oldest (<see cref="EventSubscription{T}.Dropped"/>).</summary>
    public int EventBufferSize { get; set; } = 10_000;

    /// <summary>Connect over TLS, verifying the broker's certificate (against <see cref="TlsCaFile"/> when given).</summary>
    public bool UseTls { get; set; }
    /// <summary>PEM file of the CA that signed the broker's certificate; null trusts the machine's store.</summary>
    public string? TlsCaFile { get; set; }
    /// <summary>PEM file of a client certificate, for brokers that ask for one.</summary>
    public string? TlsClientCertificateFile { get; set; }
    /// <summary>PEM file of the client certificate's private key.</summary>
    public string? TlsClientKeyFile { get; set; }

    internal MqttSessionOptions ToSessionOptions() => new()
    {
        Host = Host, Port = Port, ClientId = ClientId, Username = Username, Password = Password, SessionExpiry = SessionExpiry,
        UseTls = UseTls, TlsCaFile = TlsCaFile, TlsClientCertificateFile = TlsClientCertificateFile, TlsClientKeyFile = TlsClientKeyFile,
    };
}
