using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Server;
using MQTTnet.Server.Internal.Adapter;

namespace MqttIoT.Broker;

/// <summary>
/// MQTTnet's TCP listener with every connection wrapped in a <see cref="Mqtt5ChannelAdapter"/>: the one public
/// extension point of MQTTnet.Server that sees the CONNECT packet and every packet on the wire, which the
/// MQTT v5 behaviours MQTTnet lacks need (see README.md). The listener opens only on <see cref="ListenAsync"/>, so
/// that stored sessions are back (<see cref="HandleInProcessAsync"/>) before any client can connect.
/// </summary>
internal sealed class Mqtt5ServerAdapter(SessionSupervisor supervisor, BrokerOptions brokerOptions) : IMqttServerAdapter
{
    private readonly MqttTcpServerAdapter _inner = new();
    private MqttServerOptions? _options;
    private IMqttNetLogger? _logger;

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        _options = options;
        _logger = logger;
        _inner.ClientHandler = HandleAsync;
        return Task.CompletedTask;
    }

    /// <summary>Opens the TCP listener(s); after the MQTTnet server has started.</summary>
    public Task ListenAsync() =>
        _inner.StartAsync(_options ?? throw new InvalidOperationException("the MQTTnet server has not started"), _logger!);

    /// <summary>Runs an in-process connection through MQTTnet as if it had come in over TCP; returns when it is over.</summary>
    public Task HandleInProcessAsync(IMqttChannelAdapter channel) => HandleAsync(channel);

    private Task HandleAsync(IMqttChannelAdapter channel) => ClientHandler is { } handler
        ? handler(new Mqtt5ChannelAdapter(channel, supervisor, brokerOptions))
        : Task.CompletedTask;

    public Task StopAsync() => _inner.StopAsync();

    public void Dispose() => _inner.Dispose();
}
