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
internal sealed class Mqtt5ServerAdapter(SessionSupervisor supervisor, BrokerOptions brokerOptions, IReadOnlyList<MqttServerOptions> listeners)
    : IMqttServerAdapter
{
    // One MQTTnet TCP listener per bound address, each started with the options that bind it alone.
    private readonly List<MqttTcpServerAdapter> _inner = [.. listeners.Select(_ => new MqttTcpServerAdapter())];
    private IMqttNetLogger? _logger;

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        _logger = logger;
        foreach (var inner in _inner) inner.ClientHandler = HandleAsync;
        return Task.CompletedTask;
    }

    /// <summary>Opens the TCP listeners; after the MQTTnet server has started.</summary>
    public async Task ListenAsync()
    {
        var logger = _logger ?? throw new InvalidOperationException("the MQTTnet server has not started");
        for (var i = 0; i < _inner.Count; i++) await _inner[i].StartAsync(listeners[i], logger).ConfigureAwait(false);
    }

    /// <summary>Runs an in-process connection through MQTTnet as if it had come in over TCP; returns when it is over.</summary>
    public Task HandleInProcessAsync(IMqttChannelAdapter channel) => HandleAsync(channel);

    private Task HandleAsync(IMqttChannelAdapter channel) => ClientHandler is { } handler
        ? handler(new Mqtt5ChannelAdapter(channel, supervisor, brokerOptions))
        : Task.CompletedTask;

    public async Task StopAsync()
    {
        foreach (var inner in _inner) await inner.StopAsync().ConfigureAwait(false);
    }

    public void Dispose()
    {
        foreach (var inner in _inner) inner.Dispose();
    }
}
