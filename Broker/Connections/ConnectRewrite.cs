using MQTTnet.Formatter;
using MQTTnet.Packets;

namespace MqttIoT.Broker;

/// <summary>
/// What the broker changes in a client's CONNECT before MQTTnet sees it: a client id for a 3.1.1 client that sent
/// none, the will taken out (for <see cref="SessionSupervisor"/> to publish with its delay), and the keep alive capped
/// at the broker's maximum.
/// </summary>
internal static class ConnectRewrite
{
    /// <summary>Rewrites <paramref name="connect"/> in place; returns the will taken out and the Server Keep Alive to announce.</summary>
    public static (MqttConnectPacket? Will, ushort? ServerKeepAlive) Apply(MqttConnectPacket connect, MqttProtocolVersion version, BrokerOptions options)
    {
        // MQTT 3.1.1 3.1.3-6/7: a zero-byte client id with a clean session gets one from the server (MQTTnet
        // refuses it; Mosquitto and mosquitto_pub -V mqttv311 rely on it). v5 clients are served in validation.
        if (string.IsNullOrEmpty(connect.ClientId) && connect.CleanSession && version != MqttProtocolVersion.V500)
            connect.ClientId = "auto-" + Guid.NewGuid().ToString("N");
        if (version != MqttProtocolVersion.V500) return (null, null);
        MqttConnectPacket? will = null;
        if (connect.WillFlag)
        {
            will = connect;
            connect.WillFlag = false;
        }
        // 3.1.2.10 / 3.2.2.3.14: no keep alive, or a longer one than the broker allows, is replaced by the
        // broker's; MQTTnet's keep-alive check then closes the connection after 1.5 times that.
        var maxKeepAlive = (ushort)options.MaxKeepAlive.TotalSeconds;
        if (connect.KeepAlivePeriod != 0 && connect.KeepAlivePeriod <= maxKeepAlive) return (will, null);
        connect.KeepAlivePeriod = maxKeepAlive;
        return (will, maxKeepAlive);
    }
}
