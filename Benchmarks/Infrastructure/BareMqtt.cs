using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>Bare MQTTnet 5 clients for the baselines: nothing of MqttIoT between the load generator and the broker.</summary>
public static class BareMqtt
{
    /// <summary>
    /// Connects an MQTT v5 client (clean start) to the loopback broker; with a <paramref name="sessionExpiry"/> (seconds)
    /// above 0 its session outlives the connection (a persistent session).
    /// </summary>
    public static async Task<IMqttClient> ConnectAsync(int port, string clientId, CancellationToken cancellationToken, TimeSpan? keepAlive = null,
        uint sessionExpiry = 0)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithCleanStart(true)
            .WithKeepAlivePeriod(keepAlive ?? TimeSpan.FromSeconds(60))
            .WithTimeout(TimeSpan.FromSeconds(30))
            .WithSessionExpiryInterval(sessionExpiry)
            .Build();
        try
        {
            await client.ConnectAsync(options, cancellationToken);
        }
        catch
        {
            client.Dispose();
            throw;
        }
        return client;
    }

    /// <summary>Subscribes to one filter at a QoS and checks the broker granted it.</summary>
    public static async Task SubscribeAsync(IMqttClient client, string filter, MqttQualityOfServiceLevel qos, CancellationToken cancellationToken)
    {
        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, qos).Build(), cancellationToken);
        foreach (var item in result.Items)
            if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
                throw new InvalidOperationException($"subscription to {filter} refused: {item.ResultCode}");
    }

    /// <summary>Disconnects cleanly (ignoring a broker already gone) and disposes.</summary>
    public static async Task CloseAsync(IMqttClient client)
    {
        try
        {
            if (client.IsConnected) await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or ObjectDisposedException) { }
        client.Dispose();
    }
}
