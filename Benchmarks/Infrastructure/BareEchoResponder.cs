using MQTTnet;
using MQTTnet.Protocol;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// The request/response baseline's responder: a bare MQTTnet client that answers each request on its filter by
/// publishing the request's payload back to its ResponseTopic with its CorrelationData, at QoS 1 (as a gateway
/// replies). The reply is sent without blocking the receive loop, the least any responder can do.
/// </summary>
public sealed class BareEchoResponder : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private long _failures;

    private BareEchoResponder(IMqttClient client)
    {
        _client = client;
        _client.ApplicationMessageReceivedAsync += OnRequestAsync;
    }

    /// <summary>Replies that could not be sent.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Connects and subscribes (QoS 1) to <paramref name="filter"/>.</summary>
    public static async Task<BareEchoResponder> StartAsync(int port, string filter, CancellationToken cancellationToken)
    {
        var client = await BareMqtt.ConnectAsync(port, "echo-" + Guid.NewGuid().ToString("N")[..8], cancellationToken);
        var responder = new BareEchoResponder(client);
        await BareMqtt.SubscribeAsync(client, filter, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
        return responder;
    }

    private Task OnRequestAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var request = e.ApplicationMessage;
        if (request.ResponseTopic is null) return Task.CompletedTask;
        var reply = new MqttApplicationMessageBuilder()
            .WithTopic(request.ResponseTopic)
            .WithPayload(request.Payload)
            .WithCorrelationData(request.CorrelationData)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        _ = ReplyAsync(reply);
        return Task.CompletedTask;
    }

    private async Task ReplyAsync(MqttApplicationMessage reply)
    {
        try { await _client.PublishAsync(reply, CancellationToken.None); }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _failures);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await BareMqtt.CloseAsync(_client);
}
