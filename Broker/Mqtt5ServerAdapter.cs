using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Server;

namespace MqttIoT.Broker;

/// <summary>
/// The broker's own TCP listeners (<see cref="TcpListener"/>) with every connection wrapped in a <see cref="Mqtt5ChannelAdapter"/>: the one public
/// extension point of MQTTnet.Server that sees the CONNECT packet and every packet on the wire, which the
/// MQTT v5 behaviours MQTTnet lacks need (see README.md). The listener opens only on <see cref="ListenAsync"/>, so
/// that stored sessions are back (<see cref="HandleInProcessAsync"/>) before any client can connect.
/// </summary>
internal sealed class Mqtt5ServerAdapter(SessionSupervisor supervisor, BrokerOptions brokerOptions, IReadOnlyList<TcpListener> listeners)
    : IMqttServerAdapter
{
    private bool _started;

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        _started = true;
        return Task.CompletedTask;
    }

    /// <summary>Opens the TCP listeners; after the MQTTnet server has started.</summary>
    public Task ListenAsync()
    {
        if (!_started) throw new InvalidOperationException("the MQTTnet server has not started");
        foreach (var listener in listeners) listener.Start(HandleAsync);
        return Task.CompletedTask;
    }

    /// <summary>Runs an in-process connection through MQTTnet as if it had come in over TCP; returns when it is over.</summary>
    public Task HandleInProcessAsync(IMqttChannelAdapter channel) => HandleAsync(channel);

    private Task HandleAsync(IMqttChannelAdapter channel) => ClientHandler is { } handler
        ? handler(new Mqtt5ChannelAdapter(channel, supervisor, brokerOptions))
        : Task.CompletedTask;

    public async Task StopAsync()
    {
        foreach (var listener in listeners) await listener.StopAsync().ConfigureAwait(false);
    }

    public void Dispose()
    {
        foreach (var listener in listeners) listener.Dispose();
    }
}
