using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Server;
using MQTTnet.Server.Internal.Adapter;

namespace MqttIoT.Broker;

/// <summary>
/// MQTTnet's TCP listener with every connection wrapped in a <see cref="Mqtt5ChannelAdapter"/>: the one public
/// extension point of MQTTnet.Server that sees the CONNECT packet and every packet on the wire, which the
/// MQTT v5 behaviours MQTTnet lacks need (see README.md).
/// </summary>
internal sealed class Mqtt5ServerAdapter(SessionSupervisor supervisor, BrokerOptions brokerOptions) : IMqttServerAdapter
{
    private readonly MqttTcpServerAdapter _inner = new();

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        _inner.ClientHandler = channel => ClientHandler is { } handler
            ? handler(new Mqtt5ChannelAdapter(channel, supervisor, brokerOptions))
            : Task.CompletedTask;
        return _inner.StartAsync(options, logger);
    }

    public Task StopAsync() => _inner.StopAsync();

    public void Dispose() => _inner.Dispose();
}
