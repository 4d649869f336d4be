using System.ComponentModel.DataAnnotations;
namespace MqttIoT.Protocol;

/// <summary>Where and how an <see cref="MqttSession"/> connects.</summary>
public sealed class MqttSessionOptions
{
    /// <summary>Broker host name or address.</summary>
    [Required]
    public string Host { get; set; } = "127.0.0.1";
    /// <summary>Broker port.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 1883;
    /// <summary>MQTT client id; a random one when empty.</summary>
    public string ClientId { get; set; } = "";
    /// <summary>User name, when the broker wants one.</summary>
    public string? Username { get; set; }
    /// <summary>Password, when the broker wants one.</summary>
    public string? Password { get; set; }
    /// <summary>MQTT keep-alive.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>How long one connect attempt may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>First wait between reconnect attempts; doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Longest wait between reconnect attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// How long the broker keeps this client's session (subscriptions and queued QoS 1 messages) after the connection
    /// drops; zero starts clean every time. With a fixed <see cref="ClientId"/>, what arrives during a short outage
    /// is delivered after the reconnect.
    /// </summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.Zero;
    /// <summary>Connect over TLS (port 8883 by convention).</summary>
    public bool UseTls { get; set; }
    /// <summary>PEM file of the CA that signed the broker's certificate; null trusts the machine's store.</summary>
    public string? TlsCaFile { get; set; }
    /// <summary>PEM files of a client certificate and its key, for brokers that ask for one.</summary>
    public string? TlsClientCertificateFile { get; set; }
    /// <summary>PEM file of the client certificate's private key.</summary>
    public string? TlsClientKeyFile { get; set; }
    /// <summary>Retained last will, published by the broker if the connection dies.</summary>
    public MqttWill? Will { get; set; }

    /// <summary>A copy with another client id (a second connection of the same process), no last will, and no persistent session.</summary>
    public MqttSessionOptions SecondConnection(string clientId)
    {
        var copy = (MqttSessionOptions)MemberwiseClone();
        copy.ClientId = clientId;
        copy.Will = null;
        copy.SessionExpiry = TimeSpan.Zero;
        return copy;
    }

    /// <summary>A fresh backoff over <see cref="ReconnectMinDelay"/> to <see cref="ReconnectMaxDelay"/>, for a loop that (re)connects.</summary>
    public Backoff ReconnectBackoff(TimeProvider? timeProvider = null) => new(ReconnectMinDelay, ReconnectMaxDelay, timeProvider);

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException("Host is required");
        if (Port is <= 0 or > 65535) throw new ArgumentException($"Port {Port} is out of range");
        if (SessionExpiry < TimeSpan.Zero || SessionExpiry.TotalSeconds > uint.MaxValue) throw new ArgumentException("SessionExpiry is out of range");
        if (SessionExpiry > TimeSpan.Zero && string.IsNullOrEmpty(ClientId)) throw new ArgumentException("a persistent session needs a fixed ClientId");
        if (ReconnectMinDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay)
            throw new ArgumentException("Reconnect delays must be positive and min <= max");
    }
}

/// <summary>A retained last-will message.</summary>
/// <param name="Topic">Where the broker publishes it.</param>
/// <param name="Payload">What it publishes.</param>
public sealed record MqttWill(string Topic, byte[] Payload);
