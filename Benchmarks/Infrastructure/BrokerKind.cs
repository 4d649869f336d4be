namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>The two brokers every figure is measured on.</summary>
public enum BrokerKind
{
    /// <summary>The repository's broker host (Broker/, MQTTnet 5), as a child process.</summary>
    BrokerHost,
    /// <summary>Mosquitto from a configuration derived from the repository's mosquitto.conf, as a child process.</summary>
    Mosquitto,
}
