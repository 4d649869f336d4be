using System.Collections.Concurrent;
using MQTTnet;
using MQTTnet.Protocol;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// The request/response baseline's requester: a bare MQTTnet client doing what the Sdk does on the wire and no
/// more: one long-lived reply subscription, each request published at QoS 1 with ResponseTopic, CorrelationData
/// and MessageExpiryInterval, then the PUBACK and the reply awaited.
/// </summary>
public sealed class BareRequester : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly string _replyTopic;
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<MqttApplicationMessage>> _pending = new();

    private BareRequester(IMqttClient client, string replyTopic)
    {
        _client = client;
        _replyTopic = replyTopic;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            if (e.ApplicationMessage.CorrelationData is { Length: 16 } c && _pending.TryRemove(new Guid(c), out var tcs))
                tcs.TrySetResult(e.ApplicationMessage);
            return Task.CompletedTask;
        };
    }

    /// <summary>Connects and subscribes to its reply topic.</summary>
    public static async Task<BareRequester> StartAsync(int port, CancellationToken cancellationToken)
    {
        var id = "bare-" + Guid.NewGuid().ToString("N")[..8];
        var client = await BareMqtt.ConnectAsync(port, id, cancellationToken);
        var replyTopic = $"iot/v1/clients/{id}/replies";
        await BareMqtt.SubscribeAsync(client, replyTopic, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
        return new BareRequester(client, replyTopic);
    }

    /// <summary>Sends one request and waits for its reply.</summary>
    public async Task<MqttApplicationMessage> RequestAsync(string topic, byte[] payload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var tcs = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        try
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(payload)
                .WithResponseTopic(_replyTopic)
                .WithCorrelationData(id.ToByteArray())
                .WithMessageExpiryInterval((uint)Math.Ceiling(timeout.TotalSeconds))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            var published = await _client.PublishAsync(message, cancellationToken);
            // 0x10: nobody subscribes, so no reply will come (the Sdk reports UNAVAILABLE at once too).
            if (!published.IsSuccess || published.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers)
                throw new InvalidOperationException($"request refused: {published.ReasonCode}");
            return await tcs.Task.WaitAsync(timeout, cancellationToken);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await BareMqtt.CloseAsync(_client);
}
